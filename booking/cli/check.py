"""``flask booking check``: is this configuration fit for production?

Each check prints OK or FAIL with a hint; the command exits 1 when any check fails, so a
deploy script can run it before switching traffic. It reads the same settings as the web
server and the worker (booking/config.py, instance/config.py, ``FLASK_*``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import text

from booking import config as default_config
from booking.extensions import db

group = AppGroup("check", help="The production configuration check.")

TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str
    hint: str = ""


def check_secret_key(app: Flask) -> Result:
    key = app.config.get("SECRET_KEY")
    if not key or key == default_config.DEVELOPMENT_SECRET_KEY:
        return Result(
            "secret key", False, "SECRET_KEY is unset or the public development key",
            'set FLASK_SECRET_KEY to python -c "import secrets; print(secrets.token_hex(32))"',
        )  # fmt: skip
    if len(str(key)) < 32:
        return Result(
            "secret key", False, f"SECRET_KEY is only {len(str(key))} characters",
            "use at least 32 random characters",
        )  # fmt: skip
    return Result("secret key", True, "set, not the development key")


def check_database(app: Flask) -> Result:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:
        return Result(
            "database", False, f"cannot connect to {url}: {type(error).__name__}: {error}",
            "check FLASK_SQLALCHEMY_DATABASE_URI and that the server accepts connections",
        )  # fmt: skip
    migrate = app.extensions.get("migrate")
    directory = migrate.directory if migrate is not None else "migrations"
    script = ScriptDirectory.from_config(migrate.migrate.get_config(directory))
    heads = set(script.get_heads())
    if current != heads:
        return Result(
            "database", False,
            f"{url} is at {sorted(current) or 'no revision'}, the code expects {sorted(heads)}",
            "run `flask db upgrade`",
        )  # fmt: skip
    return Result("database", True, f"{url} reachable, migrated to head {', '.join(heads)}")


def check_smtp(app: Flask) -> Result:
    server = app.config.get("MAIL_SERVER")
    if not server:
        return Result(
            "smtp", False, "MAIL_SERVER is unset: emails are only written to instance/mail/",
            "set FLASK_MAIL_SERVER (and MAIL_PORT, MAIL_USE_TLS or MAIL_USE_SSL, credentials)",
        )  # fmt: skip
    port = int(app.config.get("MAIL_PORT") or 25)
    try:
        if app.config.get("MAIL_USE_SSL"):
            client = smtplib.SMTP_SSL(
                server, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(server, port, timeout=TIMEOUT_SECONDS)
        with client:
            code, _ = client.ehlo()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"EHLO refused")
            if app.config.get("MAIL_USE_TLS"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
    except (OSError, smtplib.SMTPException) as error:
        return Result(
            "smtp", False, f"{server}:{port}: {type(error).__name__}: {error}",
            "check MAIL_SERVER/MAIL_PORT and that this host may reach it",
        )  # fmt: skip
    return Result("smtp", True, f"{server}:{port} answered EHLO")


def check_rate_limit_storage(app: Flask) -> Result:
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory://"):
        return Result(
            "rate-limit storage", False,
            "memory:// counts per process, so limits multiply with every gunicorn worker and host",
            "set FLASK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0",
        )  # fmt: skip
    if uri.startswith(("redis://", "rediss://")):
        import redis

        try:
            client = redis.Redis.from_url(
                uri, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
            try:
                client.ping()
            finally:
                client.close()
        except redis.RedisError as error:
            return Result(
                "rate-limit storage", False, f"{_redacted(uri)}: {type(error).__name__}: {error}",
                "start Redis or fix RATELIMIT_STORAGE_URI",
            )  # fmt: skip
        return Result("rate-limit storage", True, f"{_redacted(uri)} answered PING")
    return Result("rate-limit storage", True, f"{_redacted(uri)} (not checked: not Redis)")


def _redacted(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def check_https(app: Flask) -> Result:
    problems = []
    # SECURE_COOKIES (booking.security) turns on SESSION_COOKIE_SECURE and a __Host- name.
    cookie_setting = "SECURE_COOKIES" if "SECURE_COOKIES" in app.config else "SESSION_COOKIE_SECURE"
    if not app.config.get(cookie_setting) or not app.config.get("SESSION_COOKIE_SECURE"):
        problems.append(f"{cookie_setting} is off")
    if app.config.get("PREFERRED_URL_SCHEME") != "https":
        problems.append("PREFERRED_URL_SCHEME is not https")
    base = app.config.get("PUBLIC_BASE_URL")
    if base and not str(base).startswith("https://"):
        problems.append("PUBLIC_BASE_URL is not https")
    if problems:
        return Result(
            "https", False, "; ".join(problems),
            f"set FLASK_{cookie_setting}=true and FLASK_PREFERRED_URL_SCHEME=https "
            "(and FLASK_PUBLIC_BASE_URL=https://...) behind a TLS proxy",
        )  # fmt: skip
    return Result("https", True, "secure cookies, https URLs")


def check_data_encryption_keys(app: Flask) -> Result:
    try:
        from booking import crypto
    except ImportError:
        return Result("data encryption keys", True, "not used by this version")
    try:
        keys = crypto.parse_keys(app.config.get("DATA_ENCRYPTION_KEYS"))
        if keys:
            crypto.DataCipher(keys)
    except (TypeError, ValueError) as error:
        return Result(
            "data encryption keys", False, f"DATA_ENCRYPTION_KEYS is not valid: {error}",
            "each key is a Fernet key: 32 url-safe base64 bytes",
        )  # fmt: skip
    if not keys:
        return Result(
            "data encryption keys", False, "DATA_ENCRYPTION_KEYS is unset",
            'set FLASK_DATA_ENCRYPTION_KEYS to python -c "from cryptography.fernet import '
            'Fernet; print(Fernet.generate_key().decode())" and keep it with the backups',
        )  # fmt: skip
    return Result("data encryption keys", True, f"{len(keys)} key(s) configured")


CHECKS: tuple[Callable[[Flask], Result], ...] = (
    check_secret_key,
    check_database,
    check_smtp,
    check_rate_limit_storage,
    check_https,
    check_data_encryption_keys,
)


def run_checks(app: Flask) -> list[Result]:
    results = []
    for check in CHECKS:
        try:
            results.append(check(app))
        except Exception as error:  # a check that crashes is a failed check, not a crash
            name = check.__name__.removeprefix("check_").replace("_", " ")
            results.append(Result(name, False, f"{type(error).__name__}: {error}"))
    return results


@group.command("check")
def check_command() -> None:
    """Check the production configuration; exit 1 if anything is wrong."""
    results = run_checks(current_app._get_current_object())
    width = max(len(result.name) for result in results)
    for result in results:
        mark = "OK  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.name:<{width}}  {result.detail}")
        if not result.ok and result.hint:
            click.echo(f"     {'':<{width}}  hint: {result.hint}")
    failed = sum(not result.ok for result in results)
    if failed:
        click.echo(f"{failed} check(s) failed.")
        raise SystemExit(1)
    click.echo("All checks passed.")
