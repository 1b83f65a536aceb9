"""Security headers on every response.

The CSP has no 'unsafe-eval' and no 'unsafe-inline': htmx runs with
``allowEval: false`` and without its inline indicator styles (see
templates/base.html), and partner colours come from a stylesheet URL.
"""

from flask import Flask, g

from app.branding import logo_origin


def content_security_policy(img_sources: tuple[str, ...] = ()) -> str:
    """The policy; ``img_sources`` adds origins images may come from.

    Images cannot run script, but widening img-src to every https site would
    let an injected <img> carry data anywhere. So the only extra origin is a
    whitelabel partner's logo host, on that partner's pages (app.branding).
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            " ".join(["img-src 'self' data:", *img_sources]),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CSP = content_security_policy()


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        logo = logo_origin(g.get("brand"))
        policy = content_security_policy((logo,)) if logo else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
            response.vary.add("HX-Request")
        return response
