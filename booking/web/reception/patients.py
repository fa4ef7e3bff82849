"""Patients: search, a patient's page with contact details and bookings, the intake view.

Every staff role may search and see contact details and history. The pain screen's
answers and the clearances are on a separate page that only admins and the booking's own
therapist may open; each opening is audited (``intake.viewed``).
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from booking import clock
from booking.extensions import db
from booking.models import Patient, StaffRole
from booking.services import patient_records
from booking.services.audit import Actor
from booking.web.reception import bp, follow_ups


@bp.get("/patients")
def patients():
    query = request.args.get("q", "")[:254]
    results = (
        patient_records.search(query, region=current_app.config["CLINIC_COUNTRY"])
        if query.strip()
        else []
    )
    return render_template(
        "reception/patients/search.html",
        query=query,
        results=results,
        booked=patient_records.bookings_by_reference(query),
        limit=patient_records.SEARCH_LIMIT,
    )


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    found = db.session.get(Patient, patient_id) or abort(404)
    bookings = patient_records.history(found)
    return render_template(
        "reception/patients/patient.html",
        patient=found,
        bookings=bookings,
        **follow_ups.patient_page_context(found, bookings),
        health_visible={
            b.id: patient_records.may_see_health(current_user.role, current_user.therapist_id, b)
            for b in bookings
        },
    )


@bp.get("/bookings/<ref>/intake")
def intake(ref: str):
    booking = patient_records.booking_by_ref(ref) or abort(404)
    # Someone who may not see health data gets a 403 (NotAllowed, in web.refusals).
    view = patient_records.view_intake(
        booking,
        role=StaffRole(current_user.role),
        therapist_id=current_user.therapist_id,
        actor=Actor.staff(current_user.id),
        now=clock.now(),
    )
    return render_template("reception/patients/intake.html", view=view, booking=booking)
