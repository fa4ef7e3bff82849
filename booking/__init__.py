"""The clinic's booking service: ``create_app`` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from booking import config as default_config
from booking.config import ConfigurationError

__all__ = ["ConfigurationError", "create_app"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: layered settings, extensions, blueprints, errors, CLI.

    Settings are applied in order: ``booking/config.py``, ``instance/config.py``, ``FLASK_*``
    environment variables, then ``config`` (tests). Raises ConfigurationError when a
    production start would use the development secret key.
    """
    from booking.security import BookingFlask

    instance_path = os.environ.get("BOOKING_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = BookingFlask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)

    _resolve_database_uri(app)
    _refuse_development_key(app)
    _load_data_encryption_keys(app)
    _refuse_unsafe_mail_identity(app)
    _refuse_unusable_policy(app)

    from booking import database, errors, logs, security, static_assets, web
    from booking.cli import register_cli
    from booking.extensions import mail
    from booking.services import clinic_settings

    logs.init_app(app)
    security.init_app(app)
    database.init_app(app)
    errors.init_app(app)
    clinic_settings.init_app(app)
    web.init_app(app)
    static_assets.init_app(app)
    mail.init_app(app)
    register_cli(app)
    return app


def _resolve_database_uri(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        path = Path(app.instance_path) / "booking.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"


def _refuse_development_key(app: Flask) -> None:
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if not key or key == default_config.DEVELOPMENT_SECRET_KEY:
        raise ConfigurationError(
            "Refusing to start: SECRET_KEY is the public development key. Set "
            "FLASK_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random value, "
            'e.g. python -c "import secrets; print(secrets.token_hex(32))".'
        )
    if len(str(key)) < 24:
        raise ConfigurationError(
            "Refusing to start: SECRET_KEY is too short to be secret; use at least 32 "
            "random characters."
        )


def _refuse_unsafe_mail_identity(app: Flask) -> None:
    from booking.notify.settings import configuration_problems

    problems = configuration_problems(app.config, production=not (app.debug or app.testing))
    if problems:
        raise ConfigurationError("Refusing to start: " + "; ".join(problems) + ".")


def _refuse_unusable_policy(app: Flask) -> None:
    # The configured clinic policy (notice, holds, the zone...) must make a policy on its own.
    from booking.policy import PolicyError, build_policy
    from booking.services.clinic_settings import configured_defaults

    try:
        build_policy(configured_defaults(app), {})
    except PolicyError as error:
        raise ConfigurationError(f"Refusing to start: {error}.") from None


def _load_data_encryption_keys(app: Flask) -> None:
    # Health data is encrypted at rest: outside debug and testing, no key means no start.
    from booking import crypto

    crypto.init_app(app)
