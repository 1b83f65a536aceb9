"""The language menu of the page header, and which language a request is answered in.

A request's language, the first that answers:
1. the signed-in user's saved choice (``User.locale``, set from the menu);
2. the choice an anonymous visitor made from the menu (kept in the signed session cookie);
3. the browser's Accept-Language, among the offered languages (``pt-PT`` gets ``pt_BR``);
4. the default language of the whitelabel partner whose domain serves the request;
5. the platform default (``AULA_DEFAULT_LOCALE``).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel import get_translations
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from app import i18n
from app.blueprints.fields import SelectField
from app.services.people.users import set_user_locale
from app.web import is_safe_next

bp = Blueprint("language", __name__)

SESSION_KEY = "locale"


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    if not has_request_context():
        return i18n.platform_locale()
    if current_user.is_authenticated:
        chosen = i18n.offered(current_user.locale)
        if chosen:
            return chosen
    chosen = i18n.offered(session.get(SESSION_KEY))
    if chosen:
        return chosen
    browser = request.accept_languages.best_match(i18n.offered_locales())
    if browser:
        return browser
    brand = g.get("brand")
    chosen = i18n.offered(brand.default_locale) if brand is not None else None
    return chosen or i18n.platform_locale()


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[])
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = i18n.language_choices()


@bp.post("/language", endpoint="choose")
def choose():
    """Remember the chosen language (on the account when signed in) and go back to the page."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session[SESSION_KEY] = form.locale.data
    if current_user.is_authenticated:
        set_user_locale(current_user, form.locale.data)
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("public.index"))


class FormTranslations:
    """WTForms' own messages ("This field is required.") from Aula's catalog, in the request's language.

    Flask-WTF looks for WTForms' translations on ``request.wtforms_translations`` before it loads
    the catalog WTForms ships; handing it this object puts every form message through Aula's
    catalog (see app/wtforms_messages.py), where it is translated and checked like the rest.
    """

    @staticmethod
    def ugettext(message: str) -> str:
        return get_translations().ugettext(message)

    @staticmethod
    def ungettext(singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)

    gettext, ngettext = ugettext, ungettext


FORM_TRANSLATIONS = FormTranslations()


def _form_translations() -> None:
    request.wtforms_translations = FORM_TRANSLATIONS


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.before_request(_form_translations)

    @app.context_processor
    def _language_menu():
        from flask_babel import get_locale

        locale = get_locale()
        return {
            "html_lang": i18n.html_lang(locale),
            "current_locale": str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"],
            "language_choices": i18n.language_choices,
            "language_name": i18n.autonym,
        }
