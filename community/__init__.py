"""Terreau's core. ``create_app()`` wires named steps and builds nothing at import time."""

from __future__ import annotations

from flask import Flask

from . import config as _config
from .config import ROOT


def create_app(overrides: dict | None = None) -> Flask:
    """The application factory: configure, init extensions, register the core, load modules, CLI."""
    settings = _config.load(overrides)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(settings)
    _trust_proxies(app)
    _init_extensions(app)
    _register_core(app)
    _load_modules(app)
    _register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TERREAU_PROXIES reverse proxies, take the client address and scheme from them
    (rate limits are per client address; links in e-mails use the right scheme)."""
    count = app.config["TERREAU_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _init_extensions(app: Flask) -> None:
    from . import database, i18n, realtime
    from .extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    realtime.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine, app.config["TERREAU_SQLITE_BUSY_TIMEOUT_MS"])
        if app.config["TERREAU_COUNT_QUERIES"]:
            database.count_per_request(app, db.engine)


def _register_core(app: Flask) -> None:
    from . import web
    from .admin.blueprint import bp as admin_bp
    from .auth.blueprint import bp as auth_bp
    from .core.blueprint import bp as core_bp
    from .members.blueprint import bp as members_bp
    from .moderation.blueprint import bp as moderation_bp

    for blueprint in (core_bp, auth_bp, members_bp, admin_bp, moderation_bp):
        app.register_blueprint(blueprint)
    web.init_app(app)


def _load_modules(app: Flask) -> None:
    from . import registry

    registry.init_app(app)


def _register_cli(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
