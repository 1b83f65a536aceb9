"""Rendering helpers shared by every area: page or fragment, refusals, toasts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, get_flashed_messages, has_request_context, render_template, request
from flask_babel import format_decimal
from werkzeug.routing import IntegerConverter

from app import i18n
from app.models.base import MAX_ID, parse_id  # noqa: F401 (views parse ids through web)

# A refused action (invalid form, business rule said no) answers 422 with the
# form fragment; htmx is configured in base.html to swap 422 responses.
REFUSED = 422


MAX_PAGE = 100_000


def is_htmx() -> bool:
    """An HTMX request that wants a fragment (a history restore wants the whole page).

    Emails are also rendered outside a request (CLI commands, jobs).
    """
    if not has_request_context() or not getattr(request, "htmx", False):
        return False
    return request.headers.get("HX-History-Restore-Request") != "true"


def paginate(query, per_page: int):
    """One offset page of ``query`` from ``?page=``: a missing, bad or huge number never fails.

    Only for lists bounded by nature; a list that can grow large uses ``seek_page`` (app.services.pagination).
    """
    from app.extensions import db

    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def seek_page(query, order, per_page: int):
    """One keyset page of ``query`` in ``order`` (a ``pagination.Keyset``) from ``?after=`` / ``?before=``.

    A missing or unreadable cursor is the first page; ``_pagination.html`` renders the links.
    """
    return order.page(query, per_page=per_page, after=request.args.get("after"),
                      before=request.args.get("before"))


def render(page: str, fragment: str | None = None, /, **context):
    """The full page, or only its fragment for an HTMX request (status 200)."""
    return render_with_status(200, page, fragment, **context)


def refuse(page: str, fragment: str | None = None, /, **context):
    """The refused form or fragment again, with its errors, as status 422."""
    return render_with_status(REFUSED, page, fragment, **context)


def apply_refusal(form, error, default_field: str | None = None) -> None:
    """Put a service's refusal (a ``DomainError``) on its field, or on the form as a whole, in its own words.

    ``default_field``: where a refusal that names no field belongs on this form.
    """
    name = error.field or default_field
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def refuse_form(form, error, page: str, fragment: str | None = None, /, **context):
    """The form again with the service's refusal on it, as status 422: the one refusal path."""
    apply_refusal(form, error)
    return refuse(page, fragment, form=form, **context)


def render_with_status(status: int, page: str, fragment: str | None = None, /, **context):
    template = fragment if (fragment and is_htmx()) else page
    return render_template(template, **context), status


def go_to(url: str):
    """After a successful form: a redirect, or for htmx a client-side one.

    The htmx answer is a bare 204 (no body, no content type), so the flashed
    message waits for the page htmx then loads instead of becoming a toast
    on a response that is never shown.
    """
    from flask import Response, redirect

    if is_htmx():
        response = Response(status=204, headers={"HX-Redirect": url})
        del response.headers["Content-Type"]
        return response
    return redirect(url)


def is_safe_next(target: str | None) -> bool:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


format_credits = i18n.format_credits
format_money = i18n.format_money


def format_number(value: int | None) -> str:
    """A count (rows, students), grouped as the reader's language groups numbers."""
    return format_decimal(value or 0)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` only matches ids a database integer can hold: a larger one is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _refuse_nul_bytes():
    """PostgreSQL cannot store NUL in text: refuse such input up front, the same on every engine."""
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def is_current_page(endpoint: str, match=None) -> bool:
    """Whether the request's endpoint is one of ``match`` (exact names, or prefixes ending in "*"
    for a section with sub-pages), by default ``endpoint`` itself: the navigation's current link."""
    current = request.endpoint or ""
    return any(current.startswith(pattern[:-1]) if pattern.endswith("*") else current == pattern
               for pattern in (match or [endpoint]))


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_bytes)
    app.jinja_env.globals["is_current_page"] = is_current_page
    app.jinja_env.filters["credits"] = i18n.format_credits
    app.jinja_env.filters["money"] = i18n.format_money
    app.jinja_env.filters["filesize"] = i18n.format_file_size
    # "1 credit", "2 credits": the counted phrase by each language's plural rule.
    app.jinja_env.globals["credits_text"] = i18n.credits_text
    app.jinja_env.filters["number"] = format_number  # any whole number, with the locale's grouping
    app.jinja_env.filters["date"] = i18n.format_day
    app.jinja_env.filters["time"] = i18n.format_clock
    app.jinja_env.filters["datetime"] = i18n.format_moment

    @app.context_processor
    def _globals():
        from flask import g

        from flask_babel import get_locale

        brand = getattr(g, "brand", None)
        return {
            "get_locale": get_locale,
            "platform_name": app.config["PLATFORM_NAME"],
            "brand": brand,
            "brand_name": brand.name if brand else app.config["PLATFORM_NAME"],
            "is_htmx": is_htmx(),
        }

    @app.after_request
    def _toasts_for_htmx(response):
        """Flashed messages reach an HTMX page as an out-of-band toast."""
        if not is_htmx() or response.mimetype != "text/html" or response.direct_passthrough:
            return response
        if response.status_code >= 300 and response.status_code != REFUSED:
            return response
        messages = get_flashed_messages(with_categories=True)
        if messages:
            html = render_template("_toasts_oob.html", messages=messages)
            response.set_data(response.get_data(as_text=True) + html)
        return response

