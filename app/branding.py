"""A whitelabel partner's look, chosen by the request's Host; unknown hosts refused.

A request whose host (port dropped, case ignored) is a whitelabel partner's
domain is served with that partner's name, colour and logo; the platform's
own host gets the platform's look; any other host is refused with 400
(``services.tenancy.sites.site_for_host``), so nothing is ever served, or
built from, a Host header the platform does not know. ``/healthz`` answers
on any host (load balancers probe by address). ``g.brand`` is that Partner
or None; app.web exposes it to templates as ``brand`` and ``brand_name``.

Nothing is cached in process memory: several workers must all see a changed
domain, colour or logo at once. It costs one query per request on the unique
(hence indexed) ``partners.domain`` column, none on the platform's host.

Tenancy is by user, never by host: the brand only changes the look. A user
of partner A who opens partner B's domain still sees only A's data.

The colour reaches the page without inline styles (strict CSP): base.html
links GET /brand.css, a small stylesheet of Bootstrap variables generated
from the stored colour, which is validated again here (#rrggbb) before it is
written into CSS.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, g, has_request_context, request, url_for

from app.extensions import db
from app.models import Partner
from app.services.tenancy.look import EXTENSIONS, logo_of
from app.services.tenancy.sites import UnknownHost, site_for_host

bp = Blueprint("branding", __name__)

COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A host name we are willing to write into a CSP source list: letters,
# digits, dots and dashes only (no spaces, quotes or ';' to smuggle a directive).
_HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
CSS_MAX_AGE = 300  # seconds; the link carries the colour, so a change shows at once

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


# --- which brand ---------------------------------------------------------------


def _choose_brand() -> None:
    if request.endpoint == "public.healthz":
        g.brand = None
        return
    try:
        g.brand = site_for_host(request.host)
    except UnknownHost:
        g.brand = None
        abort(400)


# --- logo ----------------------------------------------------------------------


def _https_logo(url: str):
    """The parts of an https logo URL on a plain host, or None."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or parts.username or parts.password:
        return None
    if not parts.hostname or not _HOST_RE.match(parts.hostname):
        return None
    return parts.hostname, port


def logo_src(partner: Partner | None) -> str | None:
    """The logo URL to put in an <img>, or None when it should not be shown.

    The partner's uploaded logo first (served from the database by ``logo_view``). Else its logo
    URL: a path on this site (``/static/...``) or an https URL, whose origin the CSP then allows
    for images on that brand's pages only (see ``logo_origin``). Anything else (http://, data:,
    javascript:, odd characters) is not rendered.
    """
    if partner is not None and partner.logo_version:
        return url_for("branding.logo", partner_id=partner.id, v=partner.logo_version)
    url = ((partner.logo_url if partner is not None else None) or "").strip()
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//") and "\\" not in url and not any(
        ch.isspace() or ord(ch) < 32 for ch in url
    ):
        return url
    return url if _https_logo(url) else None


def logo_origin(partner: Partner | None) -> str | None:
    """``https://host[:port]`` of the brand's logo when it lives on another site.

    Why not ``img-src https:`` for everyone: images cannot run script, but
    an image URL is also a way out for data (an injected <img> leaks what
    its URL carries). So the CSP grows by exactly one origin, the one the
    platform admin entered as this partner's logo, and only on pages served
    for that partner's domain (see app.security).
    """
    url = ((partner.logo_url if partner is not None else None) or "").strip()
    if not url or url.startswith("/") or partner.logo_version:
        return None
    parts = _https_logo(url)
    if parts is None:
        return None
    hostname, port = parts
    return f"https://{hostname}" + (f":{port}" if port else "")


# --- colour ----------------------------------------------------------------------


def valid_colour(value: str | None) -> str | None:
    """``#rrggbb`` in lowercase, or None for anything else (never written into CSS)."""
    if value and COLOUR_RE.match(value):
        return value.lower()
    return None


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _mix(rgb, other, weight: float) -> tuple[int, int, int]:
    """``weight`` of ``other`` into ``rgb`` (as Sass's mix, used by Bootstrap's shade/tint)."""
    return tuple(round(c * (1 - weight) + o * weight) for c, o in zip(rgb, other))


def _luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g_, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g_ + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable_on_white(rgb):
    """The colour, darkened until text in it is readable on white (WCAG AA, 4.5:1)."""
    for _step in range(20):
        if contrast(rgb, WHITE) >= 4.5:
            break
        rgb = _mix(rgb, BLACK, 0.1)
    return rgb


def _csv(rgb) -> str:
    return ", ".join(str(c) for c in rgb)


_DARK_TOGGLER = (
    "url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 30 30'%3e"
    "%3cpath stroke='rgba%280, 0, 0, 0.65%29' stroke-linecap='round' stroke-miterlimit='10' "
    "stroke-width='2' d='M4 7h22M4 15h22M4 23h22'/%3e%3c/svg%3e\")"
)


def stylesheet(partner: Partner | None) -> str:
    """Bootstrap overrides for the partner's colour; empty of rules without a valid one."""
    colour = valid_colour(partner.brand_color if partner is not None else None)
    if colour is None:
        return "/* The platform's look: no brand colour to apply. */\n"
    base = _rgb(colour)
    light_background = contrast(base, BLACK) > contrast(base, WHITE)
    text = BLACK if light_background else WHITE
    link = _readable_on_white(base)
    link_hover = _mix(link, BLACK, 0.2)
    hover, active = _mix(base, BLACK, 0.15), _mix(base, BLACK, 0.2)
    focus_border = _mix(base, WHITE, 0.5)
    ring = f"rgba({_csv(base)}, .25)"
    c, t = _hex(base), _hex(text)
    lines = [
        "/* Brand colour of this site, generated by app/branding.py. */",
        ":root, [data-bs-theme=light] {",
        f"  --bs-primary: {c};",
        f"  --bs-primary-rgb: {_csv(base)};",
        f"  --bs-primary-text-emphasis: {_hex(_mix(base, BLACK, 0.6))};",
        f"  --bs-primary-bg-subtle: {_hex(_mix(base, WHITE, 0.8))};",
        f"  --bs-primary-border-subtle: {_hex(_mix(base, WHITE, 0.6))};",
        f"  --bs-link-color: {_hex(link)};",
        f"  --bs-link-color-rgb: {_csv(link)};",
        f"  --bs-link-hover-color: {_hex(link_hover)};",
        f"  --bs-link-hover-color-rgb: {_csv(link_hover)};",
        f"  --bs-focus-ring-color: {ring};",
        "}",
        ".btn-primary {",
        f"  --bs-btn-color: {t}; --bs-btn-bg: {c}; --bs-btn-border-color: {c};",
        f"  --bs-btn-hover-color: {t}; --bs-btn-hover-bg: {_hex(hover)}; --bs-btn-hover-border-color: {_hex(active)};",
        f"  --bs-btn-focus-shadow-rgb: {_csv(base)};",
        f"  --bs-btn-active-color: {t}; --bs-btn-active-bg: {_hex(active)}; --bs-btn-active-border-color: {_hex(active)};",
        f"  --bs-btn-disabled-color: {t}; --bs-btn-disabled-bg: {c}; --bs-btn-disabled-border-color: {c};",
        "}",
        ".btn-outline-primary {",
        f"  --bs-btn-color: {_hex(link)}; --bs-btn-border-color: {_hex(link)};",
        f"  --bs-btn-hover-color: {t}; --bs-btn-hover-bg: {c}; --bs-btn-hover-border-color: {c};",
        f"  --bs-btn-focus-shadow-rgb: {_csv(base)};",
        f"  --bs-btn-active-color: {t}; --bs-btn-active-bg: {c}; --bs-btn-active-border-color: {c};",
        f"  --bs-btn-disabled-color: {_hex(link)}; --bs-btn-disabled-border-color: {_hex(link)};",
        "}",
        ".form-control:focus, .form-select:focus, .form-check-input:focus {",
        f"  border-color: {_hex(focus_border)}; box-shadow: 0 0 0 .25rem {ring};",
        "}",
        f".form-check-input:checked {{ background-color: {c}; border-color: {c}; }}",
        ".pagination {",
        f"  --bs-pagination-active-color: {t}; --bs-pagination-active-bg: {c}; --bs-pagination-active-border-color: {c};",
        f"  --bs-pagination-focus-box-shadow: 0 0 0 .25rem {ring};",
        "}",
        "/* The navigation bar in the brand colour, its text readable on it. */",
        f".navbar.bg-dark {{ background-color: {c} !important; }}",
    ]
    if light_background:
        lines += [
            ".navbar.navbar-dark {",
            "  --bs-navbar-color: rgba(0, 0, 0, .7); --bs-navbar-hover-color: rgba(0, 0, 0, .9);",
            "  --bs-navbar-active-color: #000; --bs-navbar-brand-color: #000; --bs-navbar-brand-hover-color: #000;",
            f"  --bs-navbar-toggler-border-color: rgba(0, 0, 0, .2); --bs-navbar-toggler-icon-bg: {_DARK_TOGGLER};",
            "}",
            ".navbar.navbar-dark .btn-outline-light {",
            "  --bs-btn-color: #000; --bs-btn-border-color: rgba(0, 0, 0, .6);",
            "  --bs-btn-hover-color: #fff; --bs-btn-hover-bg: #000; --bs-btn-hover-border-color: #000;",
            "  --bs-btn-active-color: #fff; --bs-btn-active-bg: #000; --bs-btn-active-border-color: #000;",
            "}",
        ]
    else:
        lines += [
            ".navbar.navbar-dark { --bs-navbar-color: rgba(255, 255, 255, .85); --bs-navbar-hover-color: #fff; }",
        ]
    return "\n".join(lines) + "\n"


def stylesheet_url(partner: Partner | None) -> str | None:
    """/brand.css, with the colour in the query so that a new colour is fetched at once."""
    if partner is None:
        return None
    colour = valid_colour(partner.brand_color)
    return url_for("branding.stylesheet", v=colour[1:]) if colour else url_for("branding.stylesheet")


@bp.get("/brand.css", endpoint="stylesheet")
def stylesheet_view():
    css = stylesheet(g.get("brand"))
    response = Response(css, mimetype="text/css")
    response.set_etag(hashlib.sha256(css.encode()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = CSS_MAX_AGE
    return response.make_conditional(request)


@bp.get("/brand/logo/<int:partner_id>", endpoint="logo")
def logo_view(partner_id):
    """A partner's uploaded logo, with its own content type (and the app's nosniff header).

    Public, like the rest of a brand (the login page shows it). Its URL carries the version,
    so the current one may be cached for a year; any other version is answered fresh.
    """
    logo = logo_of(partner_id)
    if logo is None:
        abort(404)
    response = Response(logo.data, mimetype=logo.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="logo-{partner_id}.{EXTENSIONS[logo.content_type]}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    partner = db.session.get(Partner, partner_id)
    if partner is not None and request.args.get("v") == partner.logo_version:
        response.cache_control.public = True
        response.cache_control.max_age = 365 * 24 * 3600
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_brand)
    app.register_blueprint(bp)

    @app.context_processor
    def _brand_assets():
        brand = g.get("brand") if has_request_context() else None
        return {"brand_logo": logo_src(brand), "brand_stylesheet": stylesheet_url(brand)}
