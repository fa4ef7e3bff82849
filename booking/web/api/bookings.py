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

from datetime import datetime, timedelta

from flask import abort, current_app, request
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.intake import assess
from booking.models import Booking, BookingStatus, Intake
from booking.notify.settings import manage_url
from booking.services import availability, bookings, clearance, screening
from booking.services.audit import Actor
from booking.services.bookings import BookingRequest
from booking.services.clinic_settings import current_policy
from booking.web.api.common import (
    BAD_BODY,
    NOT_JSON,
    booking_out,
    check_choice,
    form_key,
    idempotency_key,
    read_body,
    require_json,
    screen_answers,
    send,
    stopped,
)
from booking.web.api.errors import ApiError
from booking.web.api.schemas import (
    FIX_FIELDS,
    BookingCreate,
    BookingCreated,
    BookingResponse,
    CancelRequest,
    ClearanceRequest,
    ClearanceResponse,
    ErrorResponse,
    RescheduleRequest,
    ScreenStopped,
    documented,
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
        400: BAD_BODY,
        409: (
            'The time was just taken ("taken", with alternatives), the service uses deep '
            'pressure, which the screen\'s answers rule out ("not_suitable", fields.service), '
            "or the idempotency_key was used for a different request "
            '("idempotency_key_reused").',
            ErrorResponse,
        ),
        415: NOT_JSON,
    },
    tags=("bookings",),
)
def create_booking():
    require_json()
    now = clock.now()
    body, fields, raw = read_body(BookingCreate, phone_region=current_app.config["CLINIC_COUNTRY"])
    answers = screen_answers(body, fields, raw)
    if answers is not None:
        assessment = assess(answers, screening.settings())
        if not assessment.makes_booking:
            return stopped(assessment, now)
    values = body.model_dump() if body else raw
    service, therapist = check_choice(values, fields)
    if "start" not in fields and (problem := _start_problem(parse_start(values["start"]), now)):
        fields["start"] = problem
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
        form_key=form_key(idempotency_key(body.idempotency_key)),
        screen=answers,
        count_screen=True,
    )
    result = bookings.book(wanted, actor=Actor.patient(), now=now, policy=current_policy())
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
        return send(_created(booking, now, manage_url=None, note=REPLAY_NOTE))
    created = _created(
        booking, now, manage_url=_manage_url(result.manage_token), therapist=result.therapist
    )
    return send(created, 201)


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
    return send(BookingResponse(booking=booking_out(booking, clock.now())))


@documented(
    "Move a booking to another free time",
    description="Same service and length. The old time is freed only if the new one is "
    "taken. Refused inside the reschedule cut-off (please call the clinic).",
    request=RescheduleRequest,
    path_params=TOKEN_PARAM,
    responses={
        200: ("The booking at its new time.", BookingResponse),
        400: BAD_BODY,
        404: _MISSING,
        409: (
            '"taken" (with alternatives), "not_active" (cancelled or past), "cutoff" (too '
            'close to the appointment) or "same_time".',
            ErrorResponse,
        ),
        415: NOT_JSON,
    },
    tags=("bookings",),
)
def reschedule_booking(token: str):
    booking = _load(token)
    require_json()
    now = clock.now()
    body, fields, _ = read_body(RescheduleRequest)
    if body is not None and (problem := _start_problem(body.start_utc, now)):
        fields["start"] = problem
    if body is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    moved = bookings.reschedule(
        booking.id, body.start_utc, actor=Actor.patient(), now=now, policy=current_policy()
    )
    return send(BookingResponse(booking=booking_out(moved, now)))


@documented(
    "Cancel a booking",
    description="The body must be the empty object {}. Refused inside the cancellation "
    "cut-off (please call the clinic); a held booking may always be cancelled.",
    request=CancelRequest,
    path_params=TOKEN_PARAM,
    responses={
        200: ("The cancelled booking.", BookingResponse),
        400: BAD_BODY,
        404: _MISSING,
        409: ('"not_active" (already cancelled or past) or "cutoff".', ErrorResponse),
        415: NOT_JSON,
    },
    tags=("bookings",),
)
def cancel_booking(token: str):
    booking = _load(token)
    require_json()
    _, fields, _ = read_body(CancelRequest)
    if fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    now = clock.now()
    cancelled = bookings.cancel(booking.id, actor=Actor.patient(), now=now, policy=current_policy())
    return send(BookingResponse(booking=booking_out(cancelled, now)))


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
        400: BAD_BODY,
        404: _MISSING,
        409: (
            '"not_held" (the booking is not waiting for a clearance: confirmed, cancelled, '
            'released, past, or a clearance already awaits approval), "taken" (the hold '
            'lapsed and its time was booked since; with alternatives) or "not_suitable" '
            "(the restrictions rule out this deep-pressure service).",
            ErrorResponse,
        ),
        415: NOT_JSON,
    },
    tags=("bookings",),
)
def attest_clearance(token: str):
    booking = _load(token)
    require_json()
    body, fields, _ = read_body(ClearanceRequest)
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
    done = clearance.attest(
        booking.id, statement, actor=Actor.patient(), now=now, policy=current_policy()
    )
    return send(
        ClearanceResponse(
            result=done.result,
            message=CLEARANCE_MESSAGES[done.result],
            booking=booking_out(done.booking, now),
        )
    )


# --- Checking requests ------------------------------------------------------------------


def _start_problem(start: datetime, now: datetime) -> str | None:
    """Say what is wrong with ``start`` before asking the scheduler, or None."""
    if start <= now:
        return "That time has passed; choose one from GET /api/v1/availability."
    horizon = availability.policy().horizon
    if start > now + horizon + timedelta(days=1):
        return f"We take bookings up to {horizon.days} days ahead."
    return None


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


NOT_YET_CONFIRMED_MESSAGE = (
    "Your appointment is not yet confirmed. We have emailed the manage link, which says what "
    "is needed to confirm it and by when."
)


def _created(
    booking: Booking, now: datetime, *, manage_url, note=None, therapist=None
) -> BookingCreated:
    # Only the booking's state: the screen's outcome ("flag", "hold") is health data.
    held = booking.status is BookingStatus.HELD
    return BookingCreated(
        result="not_yet_confirmed" if held else "confirmed",
        message=NOT_YET_CONFIRMED_MESSAGE if held else None,
        booking=booking_out(booking, now, therapist=therapist),
        manage_url=manage_url,
        note=note,
    )


def _manage_url(token: str | None) -> str | None:
    # From the configured public base URL, never from the request's Host header.
    return None if token is None else manage_url(token)
