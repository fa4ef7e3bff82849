"""The landing pages after sign-in: reception opens on today's day view, admin on set-up
links and the waitlist's figures."""

from __future__ import annotations

from flask import render_template

from booking import clock
from booking.services.waitlist import figures
from booking.web.reception import admin_bp, bp
from booking.web.reception.calendar import day_page


@bp.get("/")
def home():
    """Show the day view (today unless ``date`` says otherwise)."""
    return day_page()


@admin_bp.get("/")
def home_admin():
    return render_template("reception/admin_home.html", refills=figures.refills(now=clock.now()))
