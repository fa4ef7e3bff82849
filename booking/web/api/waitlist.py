"""The waitlist over JSON: join, view, leave (by the entry's token) and claim an offer.

The same conventions as the booking routes (``api_bookings``): strict bodies, every field
checked at once, the pain screen assessed first, an idempotency key in the body or the
Idempotency-Key header, the same 404 for any miss, and nothing of the screen in answers. A
GET never claims: claiming is a POST naming the offer.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking import clock
from booking.extensions import db
from booking.intake import assess
from booking.models import OfferState, WaitlistEntry, WaitlistOffer
from booking.services import availability, screening
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError, Reason
from booking.services.waitlist import claims, entries
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
from booking.web.api.errors import ApiError, slots_json
from booking.web.api.schemas import (
    FIX_FIELDS,
    ErrorResponse,
    NamedRef,
    ScreenStopped,
    documented,
)
from booking.web.api.waitlist_schemas import (
    ClaimRequest,
    ClaimResponse,
    EntryCreated,
    EntryOut,
    EntryResponse,
    LeaveRequest,
    LeftResponse,
    OfferOut,
    WaitlistJoin,
)

ENTRY_PARAM = {"token": "The token the entry was created with (its own link's)."}
OFFER_PARAMS = ENTRY_PARAM | {"offer": "The offer's public_id, from GET /api/v1/waitlist/{token}."}
_MISSING = ("No waiting entry has that token (the same answer as any miss).", ErrorResponse)
REPLAY_NOTE = (
    "This idempotency_key was already used: this is the entry it made. The token was only "
    "given in the response that created it."
)
WAITLIST_ENDPOINTS = frozenset(
    {"api.join_waitlist", "api.get_waitlist_entry", "api.leave_waitlist", "api.claim_offer"}
)


def never_cached(response):
    """After each API request: answers about one entry are never cached nor referred."""
    if request.endpoint in WAITLIST_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@documented(
    "Join the waitlist",
    description="Wait for a time that suits: when one comes free it is offered to the "
    "longest-waiting entry it fits, one at a time, and kept for that entry until the offer "
    "ends. The pain screen is answered as when booking: an emergency, urgent or declined "
    "outcome answers its advice (200, entry null) and stores nothing. A patient may wait "
    'for a few times at once ("waitlist_cap" beyond). A retry with the same '
    "idempotency_key returns the same entry (200, token null).",
    request=WaitlistJoin,
    responses={
        201: ("On the waitlist; the token is only ever sent here.", EntryCreated),
        200: (
            "The screen stopped joining (nothing stored), or a replay of an idempotency_key.",
            (ScreenStopped, EntryCreated),
        ),
        400: BAD_BODY,
        409: (
            '"waitlist_cap" (already waiting for the most times allowed) or '
            '"idempotency_key_reused".',
            ErrorResponse,
        ),
        415: NOT_JSON,
    },
    tags=("waitlist",),
)
def join_waitlist():
    require_json()
    now = clock.now()
    body, fields, raw = read_body(WaitlistJoin, phone_region=current_app.config["CLINIC_COUNTRY"])
    answers = screen_answers(body, fields, raw)
    if answers is not None:
        assessment = assess(answers, screening.settings())
        if not assessment.makes_booking:
            return stopped(assessment, now)
    values = body.model_dump() if body else raw
    service, therapist = check_choice(values, fields)
    if not {"first_day", "last_day"} & fields.keys() and (
        problem := entries.range_problem(
            date.fromisoformat(values["first_day"]), date.fromisoformat(values["last_day"]), now=now
        )
    ):
        fields[problem[0]] = problem[1]
    if body is None or answers is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    key = form_key(idempotency_key(body.idempotency_key))
    wanted = entries.JoinRequest(
        service_id=service.id,
        minutes=body.duration,
        first_day=date.fromisoformat(body.first_day),
        last_day=date.fromisoformat(body.last_day),
        name=body.name,
        email=body.email,
        phone=body.phone,
        screen=answers,
        therapist_id=therapist.id if therapist else None,
        weekdays=tuple(body.weekdays),
        day_parts=tuple(body.day_parts),
        form_key=key,
    )
    if key and (done := _by_form_key(key)) is not None:
        return _replay(done, wanted, now)
    try:
        entry, token = entries.join(wanted, actor=Actor.patient(), now=now, policy=current_policy())
    except IntegrityError:  # the same key sent twice at once: the other request made it
        db.session.rollback()
        done = _by_form_key(key) if key else None
        if done is None:
            raise
        return _replay(done, wanted, now)
    return send(EntryCreated(entry=_entry_out(entry, now), token=token, note=None), 201)


@documented(
    "Show a waitlist entry",
    description="The wish as it was sent, and the time kept for it if an offer is open. "
    "Never the screen's answers. Reading it never claims anything.",
    path_params=ENTRY_PARAM,
    responses={200: ("The entry.", EntryResponse), 404: _MISSING},
    tags=("waitlist",),
)
def get_waitlist_entry(token: str):
    now = clock.now()
    return send(EntryResponse(entry=_entry_out(_load(token, now), now)))


@documented(
    "Leave the waitlist",
    description="The body must be the empty object {}. Any time kept for the entry goes "
    "to the next patient waiting. The token then answers 404, like any miss.",
    request=LeaveRequest,
    path_params=ENTRY_PARAM,
    responses={200: ("Left.", LeftResponse), 400: BAD_BODY, 404: _MISSING, 415: NOT_JSON},
    tags=("waitlist",),
)
def leave_waitlist(token: str):
    now = clock.now()
    entry = _load(token, now)
    require_json()
    _, fields, _ = read_body(LeaveRequest)
    if fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    entries.leave(entry.id, actor=Actor.patient(), now=now)
    return send(LeftResponse(left=True))


@documented(
    "Claim an offered time",
    description="Books the time kept for this entry through the same checks as booking "
    "(or, for an entry waiting to move a booking earlier, moves that booking). Of two "
    "claims, or a claim and the offer's end, exactly one wins. The screen is asked again "
    '("screen_required") only when the joining answers are older than the clinic\'s '
    "setting. A retry with the same idempotency_key returns the same booking.",
    request=ClaimRequest,
    path_params=OFFER_PARAMS,
    responses={
        200: ("Booked; the confirmation email follows.", ClaimResponse),
        400: BAD_BODY,
        404: _MISSING,
        409: (
            '"offer_ended" (expired, declined or withdrawn; with the nearest free times as '
            'alternatives), "offer_claimed", "screen_required", or a refusal of the booking '
            "verb.",
            ErrorResponse,
        ),
        415: NOT_JSON,
    },
    tags=("waitlist",),
)
def claim_offer(token: str, offer: str):
    now = clock.now()
    entry = _load_for_claim(token, now)
    found = db.session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.public_id == offer[:32]
        )
    )
    if found is None:
        abort(404)
    require_json()
    body, fields, raw = read_body(ClaimRequest)
    screen = None
    if body is not None and body.screen is not None:
        if body.screen_consent is not True:
            fields["screen_consent"] = "Please agree to the use of your answers (send true)."
        screen = screen_answers(body, fields, raw)
        if screen is not None:
            assessment = assess(screen, screening.settings())
            if not assessment.makes_booking:
                return stopped(assessment, now)
    if body is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    key = form_key(idempotency_key(body.idempotency_key))
    try:
        booking = claims.claim(
            found.id,
            now=now,
            actor=Actor.patient(),
            form_key=key,
            screen=screen,
            policy=current_policy(),
        )
    except BookingError as refusal:
        if refusal.reason == Reason.OFFER_ENDED:
            raise ApiError(
                refusal.message,
                status=409,
                extra={
                    "reason": refusal.reason,
                    "alternatives": _alternatives(refusal.alternatives),
                },
            ) from None
        raise
    return send(ClaimResponse(booking=booking_out(booking, now)))


# --- Helpers ----------------------------------------------------------------------------


def _alternatives(slots) -> list[dict]:
    return slots_json(slots)


def _load(token: str, now) -> WaitlistEntry:
    entry = entries.find_by_token(token, now=now)
    if entry is None:
        abort(404)
    return entry


def _load_for_claim(token: str, now) -> WaitlistEntry:
    """The entry, also once a claim has ended it (so a retried claim gets its answer)."""
    entry = entries.find_by_token(token, now=now)
    if entry is not None:
        return entry
    from booking.models import WaitlistToken
    from booking.tokens import looks_like_token, token_hash

    if looks_like_token(token):
        entry = db.session.scalar(
            select(WaitlistEntry)
            .join(WaitlistToken, WaitlistToken.entry_id == WaitlistEntry.id)
            .where(
                WaitlistToken.token_hash == token_hash(token),
                WaitlistToken.revoked_at.is_(None),
            )
        )
        if entry is not None and entry.end_reason == "claimed":
            return entry
    abort(404)


def _by_form_key(form_key: str) -> WaitlistEntry | None:
    return db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.form_key == form_key))


def _replay(entry: WaitlistEntry, wanted: entries.JoinRequest, now):
    same = (
        entry.contact_email == wanted.email
        and entry.service_id == wanted.service_id
        and entry.minutes == wanted.minutes
        and entry.first_day == wanted.first_day
        and entry.last_day == wanted.last_day
    )
    if not same:
        raise ApiError(
            "This idempotency_key was already used for a different request.",
            status=409,
            fields={"idempotency_key": "Use a new key for a new entry."},
            extra={"reason": "idempotency_key_reused"},
        )
    return send(EntryCreated(entry=_entry_out(entry, now), token=None, note=REPLAY_NOTE))


def _entry_out(entry: WaitlistEntry, now) -> EntryOut:
    zone = availability.clinic_zone()
    offer = entries.open_offer(entry) if entry.ended_at is None else None
    if offer is not None and (offer.state is not OfferState.OPEN or offer.expires_at <= now):
        offer = None
    return EntryOut(
        public_id=entry.public_id,
        service=NamedRef(slug=entry.service.slug, name=entry.service.name),
        duration=entry.minutes,
        therapist=NamedRef(slug=entry.therapist.slug, name=entry.therapist.name)
        if entry.therapist
        else None,
        first_day=entry.first_day,
        last_day=entry.last_day,
        weekdays=list(entry.weekdays or ()),
        day_parts=list(entry.day_parts or ()),
        joined_at=entry.joined_at.astimezone(zone),
        name=entry.contact_name,
        timezone=zone.key,
        offer=OfferOut(
            public_id=offer.public_id,
            start=offer.starts_at.astimezone(zone),
            end=offer.ends_at.astimezone(zone),
            therapist=NamedRef(slug=offer.therapist.slug, name=offer.therapist.name),
            expires_at=offer.expires_at.astimezone(zone),
        )
        if offer
        else None,
    )
