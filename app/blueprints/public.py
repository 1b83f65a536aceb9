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


@bp.route("/verify")
@bp.route("/verify/<code>")
def verify_certificate(code=None):
    """Public: anyone holding a certificate can check that its code is genuine."""
    from flask import request

    from app.services.enrolment.progress import find_certificate
    from app.web import render

    code = code or request.args.get("code", "")
    certificate = find_certificate(code) if code else None
    return render("public/verify.html", code=code, certificate=certificate, checked=bool(code))
