"""Public routes: the root redirects to the user's home or to the login page."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(current_user.home_endpoint))
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
