"""What a verb's refusal becomes on the web: its HTTP status, its JSON and its page.

The one mapping from the error root (``booking.services.errors.Refusal``) to answers. A
view that shows a refusal next to the form field it names catches it itself; anything it
lets through is answered here (registered by ``booking.errors``): the API's JSON body
``{"error": {"code", "message", "fields"?, "reason"?, "alternatives"?, "request_id"}}`` or
the generic error page with the verb's message.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template
from sqlalchemy import select

from booking.extensions import db
from booking.logs import request_id
from booking.models import Therapist
from booking.services.availability import clinic_zone
from booking.services.errors import Reason, Refusal
from booking.web.api.schemas import FIX_FIELDS, SlotOut

# A bad value in what was sent: the API names the field, the status is 400.
FIELD_REASONS = {
    Reason.INVALID: None,
    Reason.UNKNOWN_SERVICE: "service",
    Reason.UNKNOWN_DURATION: "duration",
}
STATUS = {Reason.NOT_FOUND: 404, Reason.NOT_ALLOWED: 403} | dict.fromkeys(FIELD_REASONS, 400)
# Anything else is a conflict with the state of things: 409, with the reason code.
CONFLICT = 409
PAGE_TITLES = {400: "We couldn't use that", 409: "That can't be done now"}


def status_for(refusal: Refusal) -> int:
    """The HTTP status that answers ``refusal``."""
    return STATUS.get(refusal.reason, CONFLICT)


def api_body(refusal: Refusal) -> tuple[int, dict[str, Any]]:
    """The API's status and ``error`` object for a refusal (not for 403/404, sent plainly)."""
    status = status_for(refusal)
    if refusal.reason in FIELD_REASONS:
        name = FIELD_REASONS[refusal.reason] or refusal.field or "body"
        return status, {"code": status, "message": FIX_FIELDS, "fields": {name: refusal.message}}
    body: dict[str, Any] = {"code": status, "message": refusal.message}
    if refusal.reason is Reason.NOT_SUITABLE and refusal.field:
        # Which choice to change: the service (booking) or the restrictions (clearance).
        body["fields"] = {refusal.field: refusal.message}
    body["reason"] = refusal.reason
    if refusal.reason is Reason.TAKEN:
        body["alternatives"] = slots_json(refusal.alternatives)
    return status, body


def api_answer(refusal: Refusal):
    status, body = api_body(refusal)
    body["request_id"] = request_id()
    return jsonify(error=body), status


def page_answer(refusal: Refusal):
    status = status_for(refusal)
    title = PAGE_TITLES.get(status, PAGE_TITLES[CONFLICT])
    return render_template(
        "errors/error.html",
        code=status,
        request_id=request_id(),
        title=title,
        lead=refusal.message,
    ), status


def slots_json(slots) -> list[dict]:
    """Free times offered instead of a taken one, in the clinic's zone, with therapist slugs."""
    zone = clinic_zone()
    ids = {tid for slot in slots for tid in slot.therapist_ids}
    rows = db.session.execute(select(Therapist.id, Therapist.slug).where(Therapist.id.in_(ids)))
    slugs = {therapist_id: slug for therapist_id, slug in rows} if ids else {}
    return [
        SlotOut(
            start=slot.start.astimezone(zone),
            end=slot.end.astimezone(zone),
            therapists=[slugs[t] for t in slot.therapist_ids if t in slugs],
        ).model_dump(mode="json")
        for slot in slots
    ]
