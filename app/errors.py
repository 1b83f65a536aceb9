"""Error pages: a full page, or a toast fragment for HTMX requests."""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.web import is_htmx

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have access to this page."),
    404: lambda: _("This page does not exist, or is not yours to see."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("What you sent is too large. Send a smaller file."),
    429: lambda: _("Too many attempts. Please wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. Nothing was changed."),
}


def _render_error(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if is_htmx():
        response = render_template("errors/_error.html", status=status, message=message)
        # Shown as a toast, whatever the original target was.
        return response, status, {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(status, lambda e, s=status: _render_error(s))

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        return _render_error(
            400, _("Your session form has expired or is invalid. Reload the page and try again.")
        )

    @app.errorhandler(500)
    def _server_error(e):
        from app.extensions import db

        db.session.rollback()
        return _render_error(500)
