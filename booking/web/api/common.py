"""What every JSON view shares: reading and checking a request, the idempotency key, the
pain screen's answers, and the answers sent back (a booking, a screen that stopped).

The booking and the waitlist views both use these, so a body is read, a refusal worded and
a booking shown the same way on every route.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from flask import jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from booking.intake import (
    Assessment,
    Outcome,
    ScreenAnswers,
    ScreenError,
    outcome_text,
    parse_answers,
    safety_net,
)
from booking.models import Booking, BookingStatus, Service, Therapist
from booking.services import availability, bookings, catalog, screening
from booking.services.clinic_settings import current_policy
from booking.services.locking import write_transaction
from booking.web.api.errors import ApiError
from booking.web.api.schemas import (
    FIX_FIELDS,
    IDEMPOTENCY_KEY_PATTERN,
    BodyError,
    BookingOut,
    ErrorResponse,
    NamedRef,
    ScreenStopped,
    field_errors,
)

# The OpenAPI words for the two answers every POST route may give.
BAD_BODY = ("Not JSON, not an object, a wrong type or an invalid field.", ErrorResponse)
NOT_JSON = ("The Content-Type is not application/json.", ErrorResponse)
# The screen's JSON field: an error in it means its answers cannot be assessed. The consent
# governs storing the answers, never whether the patient is given the screen's advice.
SCREEN_FIELDS = ("screen",)


# --- Reading requests -------------------------------------------------------------------


def require_json() -> None:
    if request.mimetype != "application/json":
        raise ApiError("Send the body as JSON with Content-Type: application/json.", status=415)


def read_body(model: type[BaseModel], **context: Any) -> tuple[Any, dict[str, str], dict]:
    """Validate the request body with ``model``.

    Return ``(body, {}, {})`` when valid, else ``(None, fields, raw)`` with a message per
    field at fault and the raw object (so other checks can still run on the good fields).
    Raises ApiError when the body is not a JSON object at all.
    """
    data = request.get_data(cache=False)
    try:
        return model.model_validate_json(data, context=context), {}, {}
    except ValidationError as error:
        try:
            fields = field_errors(error)
        except BodyError as bad:
            raise ApiError(str(bad)) from None
    try:
        raw = from_json(data)
    except ValueError:  # pragma: no cover - pydantic already parsed it once
        raw = {}
    return None, fields, raw if isinstance(raw, dict) else {}


def screen_answers(body: Any, fields: dict[str, str], raw: dict) -> ScreenAnswers | None:
    """Return the screen's answers when they and the consent are valid, else None.

    ``body`` is a validated model with a ``screen`` field (booking, joining, claiming), or
    None when the body was invalid and ``raw`` is what was sent.

    The model has pinned the JSON types; ``parse_answers`` reads the answers and has the
    last word (its messages go into ``fields`` as ``screen.<answer>``). The answers are read
    even when other fields are wrong, so a red flag is answered whatever else was sent.
    """
    if any(name.split(".", 1)[0] in SCREEN_FIELDS for name in fields):
        return None
    data = body.screen.model_dump(mode="json") if body is not None else raw["screen"]
    try:
        return parse_answers(data)
    except ScreenError as error:  # pragma: no cover - the model accepts only what parses
        fields.update({f"screen.{name}": message for name, message in error.errors.items()})
        return None


def check_choice(values: dict, fields: dict[str, str]) -> tuple[Service | None, Therapist | None]:
    """Check service, duration and therapist against the clinic; add to ``fields``.

    Only values that passed the model's own checks are looked at (in strict mode those are
    the raw JSON values), so one response names every problem.
    """
    service = therapist = None
    if "service" not in fields:
        service = catalog.service_with_durations(values["service"])
        if service is None:
            fields["service"] = "No bookable service has that slug."
    if service and "duration" not in fields and service.duration(values["duration"]) is None:
        offered = ", ".join(str(d.minutes) for d in service.durations)
        fields["duration"] = f"{service.name} is offered for {offered} minutes."
    if values.get("therapist") is not None and "therapist" not in fields:
        therapist = catalog.therapist_by_slug(values["therapist"])
        if therapist is None:
            fields["therapist"] = "No therapist has that slug; send null for any therapist."
        elif service is not None and service not in therapist.services:
            fields["therapist"] = f"{therapist.name} does not offer {service.name}."
    return service, therapist


def idempotency_key(in_body: str | None) -> str | None:
    """Return the request's idempotency key: the body's field or the Idempotency-Key header.

    Raises ApiError (400) for a header that is not a valid key, or one that contradicts the
    body's.
    """
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return in_body
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, header):
        raise ApiError(
            FIX_FIELDS, fields={"idempotency_key": "Use 8 to 64 letters, digits, - or _."}
        )
    if in_body is not None and in_body != header:
        raise ApiError(
            FIX_FIELDS,
            fields={"idempotency_key": "The Idempotency-Key header and the body disagree."},
        )
    return header


def form_key(key: str | None) -> str | None:
    # Hashed into a namespace of its own: an API key can never collide with a web form's.
    if key is None:
        return None
    return "api-" + hashlib.sha256(key.encode()).hexdigest()[:60]


# --- Writing responses ------------------------------------------------------------------


def send(body: BaseModel, status: int = 200):
    return jsonify(body.model_dump(mode="json")), status


def stopped(assessment: Assessment, now: datetime):
    """Answer a screen that stops the booking: count it, store nothing else."""
    with write_transaction():
        screening.count_outcome(assessment.outcome, now=now)
    numbers = {
        "emergency_number": current_policy().emergency_number,
        "urgent_number": current_policy().urgent_number,
    }
    parts = outcome_text(assessment, **numbers)
    if assessment.outcome is not Outcome.EMERGENCY:
        parts = (*parts, safety_net(**numbers))
    message = "\n\n".join(parts) or "We can't book this treatment for you."
    return send(ScreenStopped(outcome=assessment.outcome.value, message=message, booking=None))


def booking_out(booking: Booking, now: datetime, *, therapist=None) -> BookingOut:
    """The booking as the API shows it. ``therapist``: its (slug, name), when the caller
    has them already (a booking just made), instead of loading ``booking.therapist``."""
    zone = availability.clinic_zone()
    slug, name = therapist or (booking.therapist.slug, booking.therapist.name)
    rules = bookings.change_rules(booking, now)
    held = booking.status is BookingStatus.HELD and booking.hold_expires_at is not None
    return BookingOut(
        public_id=booking.public_id,
        status=booking.status,
        service=NamedRef(slug=booking.service.slug, name=booking.service.name),
        duration=booking.duration_minutes,
        price_pence=booking.price_pence,
        start=booking.starts_at.astimezone(zone),
        end=booking.ends_at.astimezone(zone),
        timezone=zone.key,
        therapist=NamedRef(slug=slug, name=name),
        hold_expires_at=booking.hold_expires_at.astimezone(zone) if held else None,
        can_cancel=rules.can_cancel,
        can_reschedule=rules.can_reschedule,
        name=booking.contact_name,
    )
