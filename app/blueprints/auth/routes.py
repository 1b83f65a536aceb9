from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, LogoutForm
from flask_limiter.util import get_remote_address

from app.extensions import limiter
from app.services import audit
from app.services.people.users import authenticate, end_sessions
from app.web import is_safe_next, refuse, render


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def _address_and_email() -> str:
    """Limit guesses per account and address, so one office behind a NAT is not locked out together."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{get_remote_address()}|{email}"


def _home_for(user) -> str:
    return url_for(user.home_endpoint)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_email)
@limiter.limit(_login_ip_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_home_for(current_user))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            audit.record(user, "auth.login", user)
            target = form.next.data
            return redirect(target if is_safe_next(target) else _home_for(user))
        form.password.errors.append(_("Wrong email or password."))
    return (refuse if request.method == "POST" else render)("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        end_sessions(current_user)  # on every device, and any copy of this cookie
        logout_user()
        flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))
