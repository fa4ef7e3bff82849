"""The API's refusals: ``ApiError`` and the JSON body every one of them is sent as, and
a verb's refusal as that body: ``{"error": {"code", "message", "fields"?, "reason"?,
"alternatives"?, "request_id"}}`` with the status ``booking.web.refusals`` chooses."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from booking.extensions import db
from booking.logs import request_id
from booking.models import Therapist
from booking.services.availability import clinic_zone
from booking.services.errors import Reason, Refusal
from booking.web.api.schemas import FIX_FIELDS, SlotOut
from booking.web.refusals import FIELD_REASONS, status_for


class ApiError(Exception):
    """A refusal sent as ``{"error": {"code", "message", "fields"?, ...extra}}``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        fields: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message, self.status, self.fields = message, status, fields or {}
        self.extra = extra or {}


def answer(error: ApiError):
    """The blueprint's handler for ``ApiError``: the JSON refusal with the request's id."""
    body = {"error": {"code": error.status, "message": error.message}}
    if error.fields:
        body["error"]["fields"] = error.fields
    body["error"].update(error.extra)
    body["error"]["request_id"] = request_id()
    return jsonify(body), error.status


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
