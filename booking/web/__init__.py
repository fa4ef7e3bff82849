"""The web layer: blueprints by audience, and the template helpers they share."""

from __future__ import annotations

from flask import Flask

from booking.web import filters


def init_app(app: Flask) -> None:
    from booking.auth import sessions as staff_sessions
    from booking.extensions import csrf, limiter
    from booking.web.api import bp as api_bp
    from booking.web.auth import bp as auth_bp
    from booking.web.booking_flow import bp as booking_bp
    from booking.web.clinician import bp as clinician_bp
    from booking.web.feeds import bp as feeds_bp
    from booking.web.followup import bp as follow_up_bp
    from booking.web.health import bp as health_bp
    from booking.web.manage import bp as manage_bp
    from booking.web.manage_course import bp as manage_course_bp
    from booking.web.public import bp as public_bp
    from booking.web.reception import admin_bp
    from booking.web.reception import bp as reception_bp
    from booking.web.waitlist import bp as waitlist_bp

    csrf.init_app(app)
    limiter.init_app(app)
    staff_sessions.init_app(app)
    filters.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(manage_course_bp)
    app.register_blueprint(follow_up_bp)
    app.register_blueprint(clinician_bp)
    app.register_blueprint(waitlist_bp)
    # The API takes JSON without cookies: a cross-site form cannot drive it, so no CSRF.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(reception_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(feeds_bp)
