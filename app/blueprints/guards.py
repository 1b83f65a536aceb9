"""Role guards: anonymous users go to the login page, the wrong role gets 403."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from app.extensions import login_manager
from app.models import Role


def require_roles(bp: Blueprint, *roles: Role) -> None:
    allowed = {r.value for r in roles}

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in allowed:
            abort(403)
        return None
