"""Aula: a back office for online-course businesses that sell through others."""

from __future__ import annotations

import logging

from flask import Flask

from app.config import Config, config_from_env
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    from app.web import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    if config is None:
        config = config_from_env()
    if isinstance(config, dict):
        app.config.from_object(config_from_env())
        app.config.update(config)
    else:
        app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    from app.services.tenancy.sites import check_platform_url

    check_platform_url(app.config["PLATFORM_URL"])

    logging.basicConfig(level=logging.INFO)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    _init_extensions(app)

    from app import branding, cli, errors, security, transactions, web
    from app.blueprints import language

    transactions.init_app(app)
    web.init_app(app)
    language.init_app(app)
    security.init_app(app)
    branding.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (register every table on the metadata)
    from app.transactions import configure_sqlite

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {})["timeout"] = 30
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    from app.blueprints.language import select_locale

    babel.init_app(app, locale_selector=select_locale, timezone_selector=_select_timezone)
    from app.i18n import install_template_gettext

    install_template_gettext(app)

    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    limiter.init_app(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(session_user_id: str):
        from app.services.people.users import user_for_session

        return user_for_session(session_user_id)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _select_timezone():
    from flask import current_app

    return current_app.config.get("AULA_TIMEZONE") or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _register_blueprints(app: Flask) -> None:
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.member import bp as member_bp
    from app.blueprints.partner import bp as partner_bp
    from app.blueprints.payments import bp as payments_bp
    from app.blueprints.platform import bp as platform_bp
    from app.blueprints.public import bp as public_bp
    from app.blueprints.reseller import bp as reseller_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(platform_bp, url_prefix="/platform")
    app.register_blueprint(partner_bp, url_prefix="/partner")
    app.register_blueprint(reseller_bp, url_prefix="/reseller")
    app.register_blueprint(member_bp, url_prefix="/member")
    app.register_blueprint(payments_bp, url_prefix="/payments")
