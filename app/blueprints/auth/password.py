"""Set a password from a signed, expiring link (the welcome email's link)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.blueprints.auth import bp
from app.services import DomainError, audit
from app.services.people.tokens import (
    MIN_PASSWORD_LENGTH,
    TokenExpired,
    TokenInvalid,
    TokenUsed,
    set_password_with_token,
    user_for_set_password_token,
)
from app.web import apply_refusal, refuse, render


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.")),
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


def _token_error(error: TokenInvalid):
    if isinstance(error, TokenExpired):
        message = _("This link has expired. Ask your administrator to send you a new one.")
    elif isinstance(error, TokenUsed):
        message = _(
            "This link has already been used. Sign in with your password, "
            "or ask your administrator for a new link."
        )
    else:
        message = _(
            "This link is not valid. Check that you copied all of it, "
            "or ask your administrator for a new one."
        )
    return render_template("auth/token_error.html", message=message), 400


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    try:
        user = user_for_set_password_token(token)
    except TokenInvalid as error:
        return _token_error(error)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = set_password_with_token(token, form.password.data)
        except TokenInvalid as error:
            return _token_error(error)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            if current_user.is_authenticated and current_user.id != user.id:
                logout_user()
            login_user(user)
            audit.record(user, "auth.login", user, partner_id=user.partner_id)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for(user.home_endpoint))
    context = {"form": form, "user": user, "token": token, "min_length": MIN_PASSWORD_LENGTH}
    return (refuse if request.method == "POST" else render)("auth/set_password.html", **context)
