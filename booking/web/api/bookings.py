"""The booking verbs over JSON: create, read, reschedule, cancel and clearance.

Creating a booking runs the pain screen (``booking.intake``): its answers are required, and
the verb itself decides from them whether the booking is made, held until medical clearance,
or not made at all. Only the clearance route (the patient's attestation) confirms a hold.

Each view loads (the same 404 for any miss), validates its body with the pydantic model that
also documents it (``schemas``), calls one verb of ``booking.services.bookings``; a
refusal it raises becomes a 4xx in ``booking.web.refusals``. A bad request changes nothing,
and no input yields a 500. The API sets no cookies; answers about a booking are never cached.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.intake import (
    Assessment,
    Outcome,
    ScreenAnswers,
    ScreenError,
    assess,
    outcome_text,
    parse_answers,
    safety_net,
)
from booking.models import Booking, BookingStatus, Intake, Service, Therapist
from booking.notify.settings import manage_url
from booking.services import availability, bookings, catalog, clearance, screening
from booking.services.audit import Actor
from booking.services.bookings import BookingRequest
from booking.services.locking import write_transaction
from booking.web.api.errors import ApiError
from booking.web.api.schemas import (
    FIX_FIELDS,
    IDEMPOTENCY_KEY_PATTERN,
    BodyError,
    BookingCreate,
    BookingCreated,
    BookingOut,
    BookingResponse,
    CancelRequest,
    ClearanceRequest,
    ClearanceResponse,
    ErrorResponse,
    NamedRef,
    RescheduleRequest,
    ScreenStopped,
    documented,
    field_errors,
    parse_start,
)
from booking.web.manage import CLEARANCE_MESSAGES

REPLAY_NOTE = (
    "This idempotency_key was already used: this is the booking it made. The manage link "
    "was only given in the response that created it."
)
TOKEN_PARAM = {"token": "The token from the booking's manage link."}
BOOKING_ENDPOINTS = frozenset(
    {
        "api.create_booking",
        "api.get_booking",
        "api.reschedule_booking",
        "api.cancel_booking",
        "api.attest_clearance",
        "api.send_clinician_link",
    }
)
# The screen's JSON field: an error in it means its answers cannot be assessed. The consent
# governs storing the answers, never whether the patient is given the screen's advice.
_SCREEN_FIELDS = ("screen",)

_BAD_BODY = ("Not JSON, not an object, a wrong type or an invalid field.", ErrorResponse)
_NOT_JSON = ("The Content-Type is not application/json.", ErrorResponse)
_MISSING = ("No booking has that token (the same answer as any miss).", ErrorResponse)


def never_cached(response):
    """After each API request: answers about one booking are never cached nor referred."""
    if request.endpoint in BOOKING_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- Views ------------------------------------------------------------------------------


@documented(
    "Book a session",
    description="The pain screen's answers are required, and the patient's consent to their "
    "use to book. The screen is assessed first: when it says emergency, urgent or declined the "
    "answer is that outcome and its message (200, booking null) whatever else the request "
    "holds, and nothing is stored but an anonymous daily count. Otherwise every field is "
    'validated at once (400 lists them all). A "hold" outcome makes a booking with status '
    '"held" and hold_expires_at; only POST /api/v1/bookings/{token}/clearance confirms it, '
    "and it must start late enough that its deadline leaves a working day to get cleared "
    "(by default 24 hours that include a weekday's opening hours); earlier starts are 409 "
    '"taken", with the times that are allowed. Without screen_consent the screen\'s advice '
    "is still answered and nothing is stored. Duration and price come from the service. "
    "A retry with the same idempotency_key returns the same booking (200, manage_url null) "
    "instead of making a second one.",
    request=BookingCreate,
    responses={
        201: ("Booked (or held); the manage link is only ever sent here.", BookingCreated),
        200: (
            "The screen stopped the booking (ScreenStopped: nothing booked), or a replay of "
            "an idempotency_key (BookingCreated: the booking it made).",
            (ScreenStopped, BookingCreated),
        ),
        400: _BAD_BODY,
        409: (
            'The time was just taken ("taken", with alternatives), the service uses deep '
            'pressure, which the screen\'s answers rule out ("not_suitable", fields.service), '
            "or the idempotency_key was used for a different request "
            '("idempotency_key_reused").',
            ErrorResponse,
        ),
        415: _NOT_JSON,
    },
    tags=("bookings",),
)
def create_booking():
    _require_json()
    now = clock.now()
    body, fields, raw = _read(BookingCreate, phone_region=current_app.config["CLINIC_COUNTRY"])
    answers = _screen_answers(body, fields, raw)
    if answers is not None:
        assessment = assess(answers, screening.settings())
        if not assessment.makes_booking:
            return _stopped(assessment, now)
    service, therapist = _check_choice(body.model_dump() if body else raw, fields, now)
    if body is None or answers is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    wanted = BookingRequest(
        service_id=service.id,
        minutes=body.duration,
        start=body.start_utc,
        name=body.name,
        email=body.email,
        phone=body.phone,
        therapist_id=therapist.id if therapist else None,
        note=body.note,
        over_18=True,
        form_key=_form_key(_idempotency_key(body.idempotency_key)),
        screen=answers,
        count_screen=True,
    )
    result = bookings.book(wanted, actor=Actor.patient(), now=now)
    booking = result.booking
    if not result.created:
        # A replay: the key must have been used for this same request.
        intake = db.session.scalar(select(Intake).where(Intake.booking_id == booking.id))
        if not _same_request(booking, intake, wanted):
            raise ApiError(
                "This idempotency_key was already used for a different booking request.",
                status=409,
                fields={"idempotency_key": "Use a new key for a new booking."},
                extra={"reason": "idempotency_key_reused"},
            )
        return _send(_created(booking, now, manage_url=None, note=REPLAY_NOTE))
    return _send(_created(booking, now, manage_url=_manage_url(result.manage_token)), 201)


@documented(
    "Show a booking",
    description="What the manage link shows: status, times, and whether the patient may "
    "still cancel or reschedule online. Never the note or any health data.",
    path_params=TOKEN_PARAM,
    responses={200: ("The booking.", BookingResponse), 404: _MISSING},
    tags=("bookings",),
)
def get_booking(token: str):
    booking = _load(token)
    return _send(BookingResponse(booking=_booking_out(booking, clock.now())))


@documented(
    "Move a booking to another free time",
    description="Same service and length. The old time is freed only if the new one is "
    "taken. Refused inside the reschedule cut-off (please call the clinic).",
    request=RescheduleRequest,
    path_params=TOKEN_PARAM,
    responses={
        200: ("The booking at its new time.", BookingResponse),
        400: _BAD_BODY,
        404: _MISSING,
        409: (
            '"taken" (with alternatives), "not_active" (cancelled or past), "cutoff" (too '
            'close to the appointment) or "same_time".',
            ErrorResponse,
        ),
        415: _NOT_JSON,
    },
    tags=("bookings",),
)
def reschedule_booking(token: str):
    booking = _load(token)
    _require_json()
    now = clock.now()
    body, fields, _ = _read(RescheduleRequest)
    if body is not None and (problem := _start_problem(body.start_utc, now)):
        fields["start"] = problem
    if body is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    moved = bookings.reschedule(booking.id, body.start_utc, actor=Actor.patient(), now=now)
    return _send(BookingResponse(booking=_booking_out(moved, now)))


@documented(
    "Cancel a booking",
    description="The body must be the empty object {}. Refused inside the cancellation "
    "cut-off (please call the clinic); a held booking may always be cancelled.",
    request=CancelRequest,
    path_params=TOKEN_PARAM,
    responses={
        200: ("The cancelled booking.", BookingResponse),
        400: _BAD_BODY,
        404: _MISSING,
        409: ('"not_active" (already cancelled or past) or "cutoff".', ErrorResponse),
        415: _NOT_JSON,
    },
    tags=("bookings",),
)
def cancel_booking(token: str):
    booking = _load(token)
    _require_json()
    _, fields, _ = _read(CancelRequest)
    if fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    now = clock.now()
    cancelled = bookings.cancel(booking.id, actor=Actor.patient(), now=now)
    return _send(BookingResponse(booking=_booking_out(cancelled, now)))


@documented(
    "Tell us what the clinician said about a held booking",
    description="The patient's attestation of medical clearance (DOMAIN.md section 2): the "
    "only way a held booking becomes confirmed. cleared -> confirmed; cleared with "
    "restrictions -> stays held until a therapist approves; not cleared -> released at no "
    "charge. After the hold has lapsed, a clearance confirms the booking if its time is "
    'still free (else 409 "taken" with the nearest free times).',
    request=ClearanceRequest,
    path_params=TOKEN_PARAM,
    responses={
        200: ("The clearance was recorded; what it did, and the booking.", ClearanceResponse),
        400: _BAD_BODY,
        404: _MISSING,
        409: (
            '"not_held" (the booking is not waiting for a clearance: confirmed, cancelled, '
            'released, past, or a clearance already awaits approval), "taken" (the hold '
            'lapsed and its time was booked since; with alternatives) or "not_suitable" '
            "(the restrictions rule out this deep-pressure service).",
            ErrorResponse,
        ),
        415: _NOT_JSON,
    },
    tags=("bookings",),
)
def attest_clearance(token: str):
    booking = _load(token)
    _require_json()
    body, fields, _ = _read(ClearanceRequest)
    if body is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    now = clock.now()
    statement = clearance.ClearanceStatement(
        outcome=body.outcome,
        clinician_name=body.clinician_name,
        clinician_kind=body.clinician_kind,
        consultation_date=body.consultation_day,
        restriction_ticks=tuple(dict.fromkeys(tick.value for tick in body.restriction_ticks)),
        restrictions=body.restrictions,
        truthful=body.truthful,
    )
    done = clearance.attest(booking.id, statement, actor=Actor.patient(), now=now)
    return _send(
        ClearanceResponse(
            result=done.result,
            message=CLEARANCE_MESSAGES[done.result],
            booking=_booking_out(done.booking, now),
        )
    )


# --- Reading requests -------------------------------------------------------------------


def _require_json() -> None:
    if request.mimetype != "application/json":
        raise ApiError("Send the body as JSON with Content-Type: application/json.", status=415)


def _read(model: type[BaseModel], **context: Any) -> tuple[Any, dict[str, str], dict]:
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


def _screen_answers(
    body: BookingCreate | None, fields: dict[str, str], raw: dict
) -> ScreenAnswers | None:
    """Return the screen's answers when they and the consent are valid, else None.

    The model has pinned the JSON types; ``parse_answers`` reads the answers and has the
    last word (its messages go into ``fields`` as ``screen.<answer>``). The answers are read
    even when other fields are wrong, so a red flag is answered whatever else was sent.
    """
    if any(name.split(".", 1)[0] in _SCREEN_FIELDS for name in fields):
        return None
    data = body.screen.model_dump(mode="json") if body is not None else raw["screen"]
    try:
        return parse_answers(data)
    except ScreenError as error:  # pragma: no cover - the model accepts only what parses
        fields.update({f"screen.{name}": message for name, message in error.errors.items()})
        return None


def _check_choice(
    values: dict, fields: dict[str, str], now: datetime
) -> tuple[Service | None, Therapist | None]:
    """Check service, duration, therapist and start against the clinic; add to ``fields``.

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
    if "start" not in fields and (problem := _start_problem(parse_start(values["start"]), now)):
        fields["start"] = problem
    return service, therapist


def _start_problem(start: datetime, now: datetime) -> str | None:
    """Say what is wrong with ``start`` before asking the scheduler, or None."""
    if start <= now:
        return "That time has passed; choose one from GET /api/v1/availability."
    horizon = availability.policy().horizon
    if start > now + horizon + timedelta(days=1):
        return f"We take bookings up to {horizon.days} days ahead."
    return None


def _idempotency_key(in_body: str | None) -> str | None:
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


def _form_key(idempotency_key: str | None) -> str | None:
    # Hashed into a namespace of its own: an API key can never collide with a web form's.
    if idempotency_key is None:
        return None
    return "api-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:60]


def _same_request(booking: Booking, intake: Intake | None, wanted: BookingRequest) -> bool:
    """Say whether a replayed key comes with the request that made ``booking``.

    Start is left out: the booking may have been rescheduled since. The screen's answers
    must be the same too (while they are kept): a replay never stands for other answers.
    """
    same_answers = (
        intake is None
        or intake.answers is None
        or wanted.screen is None
        or intake.answers == wanted.screen.to_data()
    )
    return (
        booking.contact_email == wanted.email
        and booking.service_id == wanted.service_id
        and booking.duration_minutes == wanted.minutes
        and same_answers
    )


def _load(token: str) -> Booking:
    booking = bookings.find_by_token(token)
    if booking is None:
        abort(404)
    return booking


# --- Writing responses ------------------------------------------------------------------


def _send(body: BaseModel, status: int = 200):
    return jsonify(body.model_dump(mode="json")), status


def _stopped(assessment: Assessment, now: datetime):
    """Answer a screen that stops the booking: count it, store nothing else."""
    with write_transaction():
        screening.count_outcome(assessment.outcome, now=now)
    numbers = {
        "emergency_number": current_app.config["CLINIC_EMERGENCY_NUMBER"],
        "urgent_number": current_app.config["CLINIC_URGENT_NUMBER"],
    }
    parts = outcome_text(assessment, **numbers)
    if assessment.outcome is not Outcome.EMERGENCY:
        parts = (*parts, safety_net(**numbers))
    message = "\n\n".join(parts) or "We can't book this treatment for you."
    return _send(ScreenStopped(outcome=assessment.outcome.value, message=message, booking=None))


NOT_YET_CONFIRMED_MESSAGE = (
    "Your appointment is not yet confirmed. We have emailed the manage link, which says what "
    "is needed to confirm it and by when."
)


def _created(booking: Booking, now: datetime, *, manage_url, note=None) -> BookingCreated:
    # Only the booking's state: the screen's outcome ("flag", "hold") is health data.
    held = booking.status is BookingStatus.HELD
    return BookingCreated(
        result="not_yet_confirmed" if held else "confirmed",
        message=NOT_YET_CONFIRMED_MESSAGE if held else None,
        booking=_booking_out(booking, now),
        manage_url=manage_url,
        note=note,
    )


def _manage_url(token: str | None) -> str | None:
    # From the configured public base URL, never from the request's Host header.
    return None if token is None else manage_url(token)


def _booking_out(booking: Booking, now: datetime) -> BookingOut:
    zone = availability.clinic_zone()
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
        therapist=NamedRef(slug=booking.therapist.slug, name=booking.therapist.name),
        hold_expires_at=booking.hold_expires_at.astimezone(zone) if held else None,
        can_cancel=rules.can_cancel,
        can_reschedule=rules.can_reschedule,
        name=booking.contact_name,
    )
