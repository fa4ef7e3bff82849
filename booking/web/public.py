"""Public pages: what the clinic does for back pain, its services, people and policies."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from booking.services import catalog

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html", services=catalog.active_services())


@bp.get("/services")
def services():
    return render_template("public/services.html", services=catalog.active_services())


@bp.get("/services/<slug>")
def service(slug: str):
    found = catalog.service_by_slug(slug)
    if found is None:
        abort(404)
    return render_template("public/service.html", service=found)


@bp.get("/back-pain")
def back_pain():
    return render_template("public/back_pain.html")


@bp.get("/severe-pain")
def severe_pain():
    return render_template("public/severe_pain.html")


@bp.get("/therapists")
def therapists():
    return render_template("public/therapists.html", therapists=catalog.active_therapists())


@bp.get("/visit")
def visit():
    return render_template("public/visit.html", opening_hours=catalog.opening_hours())


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")
