"""Step 4: the patient's name, contact details and the policy they agree to."""

from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, url_for

from booking.services import bookings
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.forms import DetailsForm


def details():
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data)) is not None:
        return gate
    if (gate := steps.needs_course_fix(data, choice)) is not None:
        return gate
    if steps.start(data) is None:
        return redirect(url_for("book.time"))
    wanted = steps.course(data, choice)
    if wanted is not None and steps.accepted_sessions(data, wanted) is None:
        return redirect(url_for("book.course"))
    saved = dict(data.get("details") or {})
    if saved.get("date_of_birth"):
        saved["date_of_birth"] = datetime.fromisoformat(saved["date_of_birth"]).date()
    form = DetailsForm(data=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        drafts.save(
            details={
                "name": form.name.data,
                "email": form.email.data,
                "phone": form.phone.data,
                "note": form.note.data or "",
                "over_18": bool(form.over_18.data),
                "date_of_birth": form.date_of_birth.data.isoformat()
                if form.date_of_birth.data
                else None,
                "guardian_consent": bool(form.guardian_consent.data),
                "agree_policy": bool(form.agree_policy.data),
            }
        )
        return redirect(url_for("book.review"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "booking/details.html",
        form=form,
        step=steps.step_info("book.details"),
        course=wanted,
        policy=bookings.policy_snapshot(),
    ), status
