"""The web layer: blueprints by audience, and the template helpers they share."""

from __future__ import annotations

from flask import Flask

from booking.web import filters


def init_app(app: Flask) -> None:
    from booking.web.health import bp as health_bp
    from booking.web.public import bp as public_bp

    filters.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
