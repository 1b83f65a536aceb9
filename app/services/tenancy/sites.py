"""The sites the app serves: the platform's (``AULA_PLATFORM_URL``) and each whitelabel partner's domain.

Links that leave the request (emails, PDFs) are built here from the
configured address of the site they belong to: the platform's URL, or
``https://<domain>`` for a whitelabel partner. Never from the request's Host
header, which whoever sends the request chooses.

Which hosts are served is decided per request (``site_for_host``): the
platform's host, ``EXTRA_TRUSTED_HOSTS`` from the configuration, and the
domain of a whitelabel partner, read from the database each time (one query
on the unique ``partners.domain``, none for the platform's host), so every
worker sees a new or changed domain at once. Anything else is unknown.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.sansio.utils import host_is_trusted

from app.extensions import db
from app.models import Partner


class UnknownHost(Exception):
    """The request is for a host this app does not serve."""


def host_name(host: str | None) -> str:
    """The Host header's name: lowercase, without port or trailing dot."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal, e.g. [::1]:8000
        return host[1:].split("]", 1)[0]
    return host.split(":", 1)[0].rstrip(".")


# --- the platform's own site -------------------------------------------------------


def platform_url() -> str:
    """The platform's base URL, e.g. ``https://aula.example.com`` (no trailing slash)."""
    return current_app.config["PLATFORM_URL"].rstrip("/")


def platform_host() -> str:
    return host_name(urlsplit(platform_url()).netloc)


def check_platform_url(url: str) -> None:
    """Refuse to start with a platform URL that links could not be built from."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"AULA_PLATFORM_URL must look like https://aula.example.com, not {url!r}.")


def is_platform_host(domain: str) -> bool:
    """The platform's host, or its ``www.`` twin (or apex): never a partner's domain."""
    own = platform_host()
    bare = own[4:] if own.startswith("www.") else own
    return host_name(domain) in {own, bare, f"www.{bare}"}


def is_ip_address(domain: str) -> bool:
    try:
        ipaddress.ip_address(host_name(domain))
    except ValueError:
        return False
    return True


# --- which site a request is for --------------------------------------------------------


def whitelabel_for_host(host: str | None) -> Partner | None:
    """The whitelabel partner whose domain is ``host`` (port, case, trailing dot ignored), or None."""
    name = host_name(host)
    if not name:
        return None
    # Domains are stored lowercase without a trailing dot (tenancy.partners).
    return db.session.execute(
        db.select(Partner).where(Partner.domain == name, Partner.kind == "whitelabel")
    ).scalar_one_or_none()


def site_for_host(host: str | None) -> Partner | None:
    """The whitelabel partner a request's host belongs to, None for the platform's own host.

    Raises ``UnknownHost`` for any other host. The match is Werkzeug's
    ``host_is_trusted`` (which also refuses malformed hosts) on the
    normalised name, against the platform's host, the configured extra hosts
    and, only when needed, the one whitelabel domain stored for that name.
    """
    name = host_name(host)
    if host_is_trusted(name, [platform_host(), *current_app.config.get("EXTRA_TRUSTED_HOSTS", ())]):
        return None
    partner = whitelabel_for_host(name)
    if partner is None or not host_is_trusted(name, [partner.domain]):
        raise UnknownHost(name)
    return partner


# --- links that leave the request ----------------------------------------------------


def site_url(partner: Partner | None) -> str:
    """The base URL of the site ``partner``'s people use: its own domain if whitelabel, else the platform's."""
    if partner is not None and partner.is_whitelabel and partner.domain:
        return f"https://{partner.domain}"
    return platform_url()


def external_url(endpoint: str, partner: Partner | None = None, **values) -> str:
    """An absolute URL to ``endpoint`` on ``partner``'s site, with or without a request."""
    base = urlsplit(site_url(partner))
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
