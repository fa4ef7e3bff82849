"""``/clinician/<token>``: the page a patient's GP or physio opens from the emailed link.

It shows only what the clinician needs: who asks, the treatment planned (service, length,
date) and the clearance questions; never the screen's answers or the patient's note. A
GET changes nothing but the audit trail (mail scanners fetch links); the POST records the
clearance once. Unknown, used and expired links get the same 404 as any other miss.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from booking import clock
from booking.models import ClearanceOutcome, ClearanceSource, ClinicianKind, ClinicianLink
from booking.services import clearance, clinician_links
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web import limits
from booking.web.clinician_forms import ClinicianClearanceForm
from booking.web.filters import validity_words

bp = Blueprint("clinician", __name__, url_prefix="/clinician")
limits.token_lookups(bp)

THANKS = {
    "confirmed": "Thank you. The booking is confirmed, and we've let your patient know.",
    "awaiting_approval": "Thank you. The therapist will read the restrictions before the "
    "booking is confirmed, and will keep to them at every visit they cover.",
    "released": "Thank you. We've released the booking at no charge and let your patient "
    "know that massage isn't suitable for now.",
}
NOT_SUITABLE = (
    "The treatment planned, {service}, uses deep pressure, which these restrictions rule "
    "out, so nothing was recorded. Please ask your patient to call us to change to a "
    "gentler treatment, or call us on {phone}."
)


def _load(token: str) -> ClinicianLink:
    now = clock.now()
    link = clinician_links.find(token, now=now)
    if link is None:
        clinician_links.record_refused(token, now=now)
        abort(404)
    return link


def _page(link: ClinicianLink, token: str, form: ClinicianClearanceForm, status: int = 200):
    return render_template(
        "clinician/form.html",
        link=link,
        booking=link.booking,
        token=token,
        form=form,
        valid_for=validity_words(current_policy().clearance_valid_days),
    ), status


@bp.get("/<token>")
def view(token: str):
    link = _load(token)
    clinician_links.record_opened(link, now=clock.now())
    form = ClinicianClearanceForm(clinician_name=link.clinician_name)
    return _page(link, token, form)


@bp.post("/<token>")
def submit(token: str):
    link = _load(token)
    form = ClinicianClearanceForm()
    if not form.validate_on_submit():
        return _page(link, token, form, 400)
    statement = clearance.ClearanceStatement(
        outcome=ClearanceOutcome(form.outcome.data),
        clinician_name=form.clinician_name.data or "",
        clinician_kind=ClinicianKind(form.clinician_kind.data),
        registration=form.registration.data or "",
        restriction_ticks=tuple(form.restriction_ticks.data or ()),
        restrictions=form.restrictions.data or "",
        truthful=bool(form.truthful.data),
        source=ClearanceSource.CLINICIAN,
    )
    try:
        result = clinician_links.submit(link.id, statement, now=clock.now())
    except BookingError as refusal:
        if refusal.reason == "not_held":
            return render_template("clinician/closed.html"), 409
        message = refusal.message
        if refusal.reason == "not_suitable":
            booking = link.booking
            message = NOT_SUITABLE.format(
                service=booking.service.name, phone=current_app.config["CLINIC_PHONE"]
            )
        target = getattr(form, refusal.field, None) if refusal.field else None
        if target is not None:
            target.errors.append(message)
        else:
            form.form_errors.append(message)
        return _page(link, token, form, 409 if refusal.reason == "not_suitable" else 400)
    flash(THANKS[result.result], "success")
    return redirect(url_for("clinician.thanks"))


@bp.get("/thanks")
def thanks():
    """After the clearance: no token in the address, so a refresh or the back button never
    shows a link that no longer opens."""
    return render_template("clinician/thanks.html")
