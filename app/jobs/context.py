"""Jobs run inside the app: reuse the current app (synchronous mode) or build one (rq worker)."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, has_app_context


@contextmanager
def app_context():
    """Reuse the current app (synchronous mode) or build one (rq worker)."""
    if has_app_context():
        yield current_app._get_current_object()
        return
    from app import create_app

    app = create_app()
    with app.app_context():
        yield app
