"""An admin's privacy duties: a patient's data export (JSON) and erasure.

Admin only (the admin blueprint's guard). Both are audited by their service verbs.
"""

from __future__ import annotations

import json

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField
from wtforms.validators import DataRequired

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, Patient
from booking.services import privacy
from booking.services.audit import Actor
from booking.web.reception import admin_bp


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I have checked this is the right patient, and I understand erasure cannot be undone",
        validators=[DataRequired("Please tick the box to confirm.")],
    )


def _patient_or_404(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    return patient


@admin_bp.get("/patients/<int:patient_id>/export.json")
def export_patient(patient_id: int):
    _patient_or_404(patient_id)
    data = privacy.export_patient(patient_id, actor=Actor.staff(current_user.id), now=clock.now())
    response = make_response(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patient-{patient_id}-export.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@admin_bp.route("/patients/<int:patient_id>/erase", methods=["GET", "POST"])
def erase_patient(patient_id: int):
    patient = _patient_or_404(patient_id)
    form = EraseForm()
    if form.validate_on_submit():
        report = privacy.erase_patient(
            patient_id, actor=Actor.staff(current_user.id), now=clock.now()
        )
        flash(
            f"Patient {patient_id} erased: {report.bookings_anonymised} booking(s) anonymised, "
            f"{report.bookings_cancelled} future booking(s) cancelled without notice, "
            f"{report.waitlist_entries_erased} waitlist place(s) erased.",
            "info",
        )
        return redirect(url_for("admin.patient_erased", patient_id=patient_id), code=303)
    now = clock.now()
    counts = dict(
        db.session.execute(
            select(Booking.status, func.count())
            .where(Booking.patient_id == patient.id)
            .group_by(Booking.status)
        ).all()
    )
    future = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.patient_id == patient.id,
            Booking.status.in_((BookingStatus.HELD, BookingStatus.CONFIRMED)),
            Booking.starts_at > now,
        )
    )
    return render_template(
        "reception/admin/privacy_erase.html",
        patient=patient,
        form=form,
        bookings=sum(counts.values()),
        future=future,
    )


@admin_bp.get("/patients/<int:patient_id>/erased")
def patient_erased(patient_id: int):
    return render_template(
        "reception/admin/privacy_erased.html", patient=_patient_or_404(patient_id)
    )
