from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("partner", __name__)
require_roles(bp, Role.PARTNER_ADMIN)

from app.blueprints.partner import enrolments, routes  # noqa: E402,F401
