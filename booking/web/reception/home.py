"""The landing page after sign-in (the day view replaces it when it exists)."""

from __future__ import annotations

from flask import render_template

from booking.web.reception import admin_bp, bp


@bp.get("/")
def home():
    return render_template("reception/home.html")


@admin_bp.get("/")
def home_admin():
    return render_template("reception/admin_home.html")
