"""Building an app for tests: the test settings, and templates compiled once per run."""

from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache

from booking import create_app


class _SharedTemplates(BytecodeCache):
    """Compiled templates shared by every app of the run: a new app need not recompile."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedTemplates()


def build_app(url: str, **overrides) -> Flask:
    """An app on ``url`` with the test settings (CSRF and rate limits off), and ``overrides``."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "clinic.test",
    }
    settings.update(overrides)
    app = create_app(settings)
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app
