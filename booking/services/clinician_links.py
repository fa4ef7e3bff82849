"""A clinician's own link: the patient sends it to their GP or physio, who clears the hold.

The patient gives a name and an address on the held booking's manage page; the request
is stored and its email queued, and the link's token is minted when the email is sent
(``booking.worker.delivery``), so no working link sits in the database. The link opens
only while it is unused and its booking a live hold with no clearance awaiting approval:
it expires with the hold. Submitting calls ``clearance.attest`` with a clinician actor, and
uses the link up in the same transaction, under attest's lock on the booking row, by a
compare-and-set on ``used_at``: a second submission, or one racing the patient's own
attestation, makes no second clearance. Every use is audited: sent, opened, submitted,
refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select, update

from booking import validation
from booking.extensions import db
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceSource,
    ClinicianLink,
    ClinicianLinkToken,
)
from booking.notify import clinician_mail
from booking.services import audit, clearance
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction, write_transaction
from booking.tokens import looks_like_token, new_token, token_hash

NOT_WAITING = "This booking isn't waiting for a clearance any more."
USED = "This link has been used already, so nothing more was recorded."


def can_send(booking: Booking, now: datetime) -> bool:
    """Say whether the patient may send a clinician a link for ``booking`` now: a live hold
    with no clearance awaiting approval."""
    return (
        booking.status is BookingStatus.HELD
        and booking.blocks_at(now)
        and clearance.pending_clearance(booking.id) is None
    )


def _clean_name(value: str) -> str:
    try:
        name = validation.clean_text(value, max_length=100)
    except validation.InvalidInput as error:
        raise BookingError("invalid", str(error), field="name") from None
    name = " ".join(name.split())
    if not any(ch.isalpha() for ch in name):
        raise BookingError(
            "invalid", "Please give your clinician's name, for example Dr Patel.", field="name"
        )
    return name


def _clean_email(value: str) -> str:
    try:
        return validation.normalise_email(value)
    except validation.InvalidInput as error:
        message = str(error).replace("your email address", "your clinician's email address")
        raise BookingError("invalid", message, field="email") from None


def send(booking_id: int, *, name: str, email: str, actor: Actor, now: datetime) -> ClinicianLink:
    """Record a request to ``name`` at ``email`` and queue its email; commit.

    Raises BookingError: "invalid" (the field named), "not_held" (no live hold to clear),
    "too_many" (``CLINICIAN_LINKS_PER_HOLD`` sent already for this booking).
    """
    name = _clean_name(name)
    email = _clean_email(email)
    cap = current_policy().clinician_links_per_hold

    def attempt() -> ClinicianLink:
        booking = db.session.scalars(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if booking is None:
            raise BookingError("not_found", "We couldn't find that booking.")
        if not can_send(booking, now):
            raise BookingError("not_held", NOT_WAITING)
        sent = db.session.scalar(
            select(func.count(ClinicianLink.id)).where(ClinicianLink.booking_id == booking_id)
        )
        if sent >= cap:
            raise BookingError(
                "too_many",
                f"You have sent {cap} requests for this booking already. If your clinician "
                "hasn't had one, please call us.",
            )
        link = ClinicianLink(
            booking_id=booking_id, clinician_name=name, clinician_email=email, created_at=now
        )
        db.session.add(link)
        db.session.flush()
        clinician_mail.queue_request(link, booking, now=now)
        audit.record("clinician_link.sent", actor=actor, now=now, booking=booking, link_id=link.id)
        return link

    return run_in_write_transaction(attempt)


def mint(link_id: int, *, now: datetime) -> str:
    """Add a new token for the link to the session (the caller commits); return it."""
    token = new_token()
    db.session.add(
        ClinicianLinkToken(link_id=link_id, token_hash=token_hash(token), created_at=now)
    )
    return token


def _by_token(token: str):
    return (
        select(ClinicianLink)
        .join(ClinicianLinkToken, ClinicianLinkToken.link_id == ClinicianLink.id)
        .where(ClinicianLinkToken.token_hash == token_hash(token))
    )


def _opens(now: datetime):
    """The conditions under which a link opens: unused, and its booking a live hold with
    no clearance awaiting approval."""
    pending = select(Clearance.id).where(
        Clearance.booking_id == ClinicianLink.booking_id,
        Clearance.approval == ApprovalState.PENDING,
    )
    return (
        ClinicianLink.used_at.is_(None),
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at > now,
        ~pending.exists(),
    )


def find(token: str, *, now: datetime) -> ClinicianLink | None:
    """Return the link a live token opens, or None for any miss (unknown, used, expired)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        _by_token(token).join(Booking, Booking.id == ClinicianLink.booking_id).where(*_opens(now))
    )


def is_open(link: ClinicianLink, now: datetime) -> bool:
    return link.used_at is None and can_send(link.booking, now)


def _audit(action: str, link: ClinicianLink, now: datetime, **details) -> None:
    with write_transaction():
        booking = db.session.get(Booking, link.booking_id)
        audit.record(
            action, actor=Actor.clinician(), now=now, booking=booking, link_id=link.id, **details
        )


def record_opened(link: ClinicianLink, *, now: datetime) -> None:
    """Audit that the link's page was shown (the only write a GET makes; commits)."""
    _audit("clinician_link.opened", link, now)


def record_refused(token: str, *, now: datetime) -> None:
    """Audit a use of a link that no longer opens (used or expired); commit.

    An unknown token has no link to name: it is logged as a security event like any other.
    """
    if not looks_like_token(token):
        return
    link = db.session.scalar(_by_token(token))
    if link is None:
        return
    _audit("clinician_link.refused", link, now, why="used" if link.used_at else "expired")


def submit(
    link_id: int, statement: clearance.ClearanceStatement, *, now: datetime
) -> clearance.ClearanceResult:
    """Record the clinician's clearance through their link, once, and act on it as the
    patient's attestation does (``clearance.attest``).

    Raises BookingError like ``attest`` ("invalid" changes nothing and is not a use);
    "not_held" also when the link was used meanwhile or the hold ran out. Every other
    refusal is audited as a refused use.
    """
    link = db.session.get(ClinicianLink, link_id)
    if link is None:
        raise BookingError("not_found", "We couldn't find that link.")
    booking_id = link.booking_id
    statement = replace(statement, source=ClearanceSource.CLINICIAN)

    def use_up(current: Booking) -> None:
        # The link expires with the hold: never the re-reservation of a lapsed one.
        if not (current.status is BookingStatus.HELD and current.blocks_at(now)):
            raise BookingError("not_held", NOT_WAITING)
        changed = db.session.execute(
            update(ClinicianLink)
            .where(ClinicianLink.id == link_id, ClinicianLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise BookingError("not_held", USED)
        audit.record(
            "clinician_link.submitted",
            actor=Actor.clinician(),
            now=now,
            booking=current,
            link_id=link_id,
        )

    try:
        return clearance.attest(
            booking_id, statement, actor=Actor.clinician(), now=now, also=use_up
        )
    except BookingError as refusal:
        if refusal.reason != "invalid":
            _audit("clinician_link.refused", link, now, why=str(refusal.reason))
        raise


def links_for(booking_id: int) -> list[ClinicianLink]:
    """The requests sent for a booking, oldest first (for the patient's manage page)."""
    return list(
        db.session.scalars(
            select(ClinicianLink)
            .where(ClinicianLink.booking_id == booking_id)
            .order_by(ClinicianLink.created_at, ClinicianLink.id)
        )
    )
