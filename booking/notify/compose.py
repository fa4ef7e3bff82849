"""Building an email at delivery time: the snapshot in, the bytes to send out.

The outbox row says what happened and when (its snapshot); this module turns that into a
message with a plain-text body, an HTML body and, for booking messages, the iMIP invitation
built by :mod:`booking.ics`, in the MIME structure of ICS.md rule 2::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST|CANCEL; charset=UTF-8   (base64: CRLF kept exactly)
      application/ics; name=invite.ics                        (the very same bytes)
      application/ics; name=invite-2.ics ...                  (a course: each later session)

Flask-Mail is not used to build it: its ``Message`` puts the bodies and attachments in a
tree of its own and cannot put a calendar part inside ``multipart/alternative``.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template

from booking import ics
from booking.ics import clean_line
from booking.intake import emergency_signs
from booking.models import MessageKind
from booking.notify import clinician_mail, course_mail, headers
from booking.notify.settings import (
    calendar_uid,
    follow_up_url,
    manage_url,
    public_url,
    sender,
)
from booking.notify.waitlist_mail import WAITLIST_KINDS, waitlist_url
from booking.notify.waitlist_mail import context as waitlist_context
from booking.policy import ClinicPolicy
from booking.tokens import session_token

#: Messages whose invitation cancels the event (METHOD:CANCEL, STATUS:CANCELLED).
CANCEL_KINDS = frozenset(
    {MessageKind.CANCELLED, MessageKind.HOLD_RELEASED, MessageKind.HOLD_EXPIRED}
)

SUBJECTS: dict[MessageKind, str] = {
    MessageKind.BOOKED: "Booking confirmed: {service}, {short}",
    MessageKind.HELD: "Action needed: your appointment is held until {deadline}",
    MessageKind.HOLD_REMINDER: "Reminder: please confirm your held appointment by {deadline}",
    MessageKind.CLEARANCE_CONFIRMED: "Booking confirmed: {service}, {short}",
    MessageKind.RESCHEDULED: "Booking moved: {service}, {short}",
    MessageKind.CANCELLED: "Booking cancelled: {service}, {short}",
    MessageKind.HOLD_RELEASED: "Appointment released: {service}, {short}",
    MessageKind.HOLD_EXPIRED: "Hold expired, appointment released: {service}, {short}",
    MessageKind.APPOINTMENT_REMINDER: "Reminder: {service}, {short}",
    MessageKind.TEST: "Test message from {clinic}",
    MessageKind.STAFF_SIGN_IN_ALERT: "Wrong passwords tried on your {clinic} staff account",
    # No health words, and not the treatment's name: only that there was a visit.
    MessageKind.FOLLOW_UP: "A quick question about your visit on {visit_day}",
    MessageKind.WAITLIST_JOINED: "You're on the waitlist: {service}",
    MessageKind.WAITLIST_OFFER: "A time has come up: {service}, {short}. Reply by {deadline}",
    # To a clinician: no treatment, no health words, not even the patient's name.
    MessageKind.CLINICIAN_REQUEST: "Please complete a clearance for massage at {clinic}",
    MessageKind.COURSE_BOOKED: "Course booked: {service}, {count} sessions from {short}",
}

#: Messages with no manage link and no invitation (waitlist ones carry their entry's link
#: instead, the request to a clinician the clinician's own link).
NO_BOOKING_KINDS = (
    frozenset({MessageKind.TEST, MessageKind.STAFF_SIGN_IN_ALERT, MessageKind.CLINICIAN_REQUEST})
    | WAITLIST_KINDS
)

#: Messages about a booking that carry a link but no invitation: the follow-up's link opens
#: its questions, and the session it asks about is over.
NO_INVITATION_KINDS = NO_BOOKING_KINDS | {MessageKind.FOLLOW_UP}

SMTP_POLICY = email.policy.SMTP

# Characters after which a word joiner (U+2060) is put into text the patient typed, so no
# mail client turns "example.com" or "me@x.org" in a name into a link. Invisible on screen.
_LINKY = re.compile(r"([.@:/])")


class ComposeError(ValueError):
    """The message cannot be built (a bad address, a broken snapshot): retrying won't help."""


@dataclass(frozen=True)
class QueuedEmail:
    """The plain values of an outbox row that an email is built from."""

    id: int
    kind: MessageKind
    to_address: str
    message_id: str
    snapshot: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ComposedEmail:
    message: EmailMessage
    raw: bytes  # exactly what the transport sends
    envelope_from: str
    envelope_to: str
    calendar: bytes | None  # the invitation's bytes, for checks and logs of size only


def no_links(text: str) -> str:
    """Return patient-typed ``text`` on one line, unable to become a link in any client."""
    return _LINKY.sub("\\1\u2060", clean_line(text))


def _when(value: datetime, zone: ZoneInfo) -> dict[str, str]:
    local = value.astimezone(zone)
    place = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return {
        # "Tuesday 16 March 2027, 10:00 (London time, GMT)": the zone is always named.
        "long": f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({place} time, {local:%Z})",
        "short": f"{local:%a} {local.day} {local:%b %H:%M}",
        "time": f"{local:%H:%M}",
        "day": f"{local:%A} {local.day} {local:%B}",
    }


def _facts(
    item: QueuedEmail, *, link: str, method: ics.Method, snap: dict[str, Any] | None = None
) -> ics.AppointmentFacts:
    """The invitation's facts: of the message's booking, or of ``snap`` (a course's session)."""
    snap = snap if snap is not None else item.snapshot
    held = snap["status"] == "held"
    status: ics.Status = "cancelled" if method == "CANCEL" else "tentative" if held else "confirmed"
    config = current_app.config
    return ics.AppointmentFacts(
        uid=calendar_uid(snap["public_id"]),
        sequence=int(snap["ics_sequence"]),
        status=status,
        start=datetime.fromisoformat(snap["starts_at"]),
        end=datetime.fromisoformat(snap["ends_at"]),
        service_name=snap["service_name"],
        clinic_name=config["CLINIC_NAME"],
        clinic_email=sender().addr_spec,
        clinic_address=config["CLINIC_ADDRESS"],
        clinic_phone=config["CLINIC_PHONE"],
        manage_url=link,
        attendee_email=item.to_address,
        attendee_name=snap.get("patient_name", item.snapshot.get("patient_name", "")),
        dtstamp=datetime.fromisoformat(snap["dtstamp"]),
    )


def _money(pence: int) -> str:
    pounds, rest = divmod(int(pence), 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"


def _context(
    item: QueuedEmail,
    link: str | None,
    now: datetime,
    policy: ClinicPolicy,
    token: str | None = None,
) -> dict[str, Any]:
    config = current_app.config

    def when(value: datetime) -> dict[str, str]:
        return _when(value, policy.zone)

    snap = item.snapshot
    context: dict[str, Any] = {
        "kind": str(item.kind),
        "clinic": {
            "name": config["CLINIC_NAME"],
            "address": config["CLINIC_ADDRESS"],
            "phone": config["CLINIC_PHONE"],
            "email": config["CLINIC_EMAIL"],
        },
        "manage_url": link,
        "book_again_url": public_url("/"),
        "patient_name": no_links(snap.get("patient_name", "")),
    }
    if item.kind is MessageKind.STAFF_SIGN_IN_ALERT:
        context.update(failures=int(snap["failures"]), sources=int(snap["sources"]))
    if item.kind in WAITLIST_KINDS:
        context.update(waitlist_context(snap, when))
    if item.kind is MessageKind.CLINICIAN_REQUEST:
        context.update(clinician_mail.context(snap, when), clinician_url=link, manage_url=None)
        context["clinician_name"] = no_links(context["clinician_name"])
    if item.kind in NO_BOOKING_KINDS:
        return context
    if item.kind is MessageKind.FOLLOW_UP:
        # Only when the visit was and until when the link works: no treatment, no therapist.
        until = snap.get("follow_up_expires_at")
        context.update(
            follow_up_url=link,
            manage_url=None,
            visit=when(datetime.fromisoformat(snap["starts_at"])),
            until=when(datetime.fromisoformat(until)) if until else None,
        )
        return context
    cutoff = snap.get("cancel_cutoff_hours") or policy.cancel_cutoff_hours
    move_cutoff = snap.get("reschedule_cutoff_hours") or policy.reschedule_cutoff_hours
    expiry = snap.get("hold_expires_at")
    starts = datetime.fromisoformat(snap["starts_at"])
    held = snap["status"] == "held"
    finished = item.kind in CANCEL_KINDS
    # Only the actions that still apply when the email is read: none once the booking is
    # gone, and "call us" once the start is inside the cut-offs (a hold may always cancel).
    to_start = starts - now
    can_cancel = not finished and (held or to_start >= timedelta(hours=int(cutoff)))
    can_move = not finished and to_start >= timedelta(hours=int(move_cutoff))
    context.update(
        reference=str(snap["public_id"])[:8].upper(),
        price=_money(snap["price_pence"]) if snap.get("price_pence") is not None else None,
        finished=finished,
        can_cancel=can_cancel,
        can_move=can_move,
        service=clean_line(snap["service_name"]),
        therapist=clean_line(snap.get("therapist_name", "")),
        duration_minutes=snap.get("duration_minutes"),
        when=when(datetime.fromisoformat(snap["starts_at"])),
        ends=when(datetime.fromisoformat(snap["ends_at"])),
        held=held,
        deadline=when(datetime.fromisoformat(expiry)) if expiry else None,
        cancel_cutoff_hours=cutoff,
    )
    if item.kind is MessageKind.COURSE_BOOKED:
        context.update(
            course_mail.context(snap, when=when, money=_money, link_for=manage_url, token=token)
        )
        context["held"] = context["course"]["any_held"]
    if context["held"]:
        # The safety net every held booking's email carries: generic signs, nothing personal.
        context["safety_net"] = {
            "emergency_number": policy.emergency_number,
            "urgent_number": policy.urgent_number,
            "signs": emergency_signs(),
        }
    return context


def subject_for(item: QueuedEmail, context: dict[str, Any]) -> str:
    when = context.get("when") or {}
    deadline = context.get("deadline") or when
    subject = SUBJECTS[item.kind].format(
        service=context.get("service", ""),
        short=when.get("short", ""),
        deadline=deadline.get("short", ""),
        clinic=context["clinic"]["name"],
        visit_day=(context.get("visit") or {}).get("day", ""),
        count=(context.get("course") or {}).get("count", ""),
    )
    return clean_line(subject)


def _attach_sessions(message: EmailMessage, item: QueuedEmail, token: str | None) -> None:
    """Every session after the first as its own invitation, ``invite-<n>.ics``."""
    for session in course_mail.other_sessions(item.snapshot):
        number = int(session["number"])
        link = manage_url(session_token(token or "", number))
        try:
            calendar = ics.invitation(
                _facts(item, link=link, method="REQUEST", snap=session), "REQUEST"
            )
        except (ValueError, KeyError) as error:
            raise ComposeError(f"cannot build session {number}'s invitation: {error}") from error
        name = f"invite-{number}.ics"
        message.add_attachment(
            calendar, maintype="application", subtype="ics", filename=name, params={"name": name}
        )


def _mailbox(header_name: str, name: str, addr: str) -> headers.PrebuiltHeader:
    try:
        return headers.mailbox(header_name, name, addr)
    except headers.HeaderValueError as error:
        raise ComposeError(str(error)) from error


def compose(
    item: QueuedEmail, *, manage_token: str | None, now: datetime, policy: ClinicPolicy
) -> ComposedEmail:
    """Build the email for ``item`` with a manage link made from ``manage_token``.

    ``now`` is the send time (the Date header); ``policy`` the clinic's (its zone, numbers
    and the cut-offs of a booking that kept none). Raises :class:`ComposeError` when the
    message cannot be built (e.g. the address cannot be written into a header).
    """
    if item.kind in WAITLIST_KINDS:
        if not manage_token:
            raise ComposeError("a waitlist message needs its entry's link")
        link = waitlist_url(manage_token, item.snapshot)
    elif item.kind is MessageKind.CLINICIAN_REQUEST:
        if not manage_token:
            raise ComposeError("a request to a clinician needs its link")
        link = clinician_mail.clinician_url(manage_token)
    else:
        to_link = follow_up_url if item.kind is MessageKind.FOLLOW_UP else manage_url
        link = to_link(manage_token) if manage_token else None
    context = _context(item, link, now, policy, manage_token)
    if link is not None and item.kind not in CANCEL_KINDS and item.kind not in NO_INVITATION_KINDS:
        try:
            facts = _facts(item, link=link, method="REQUEST")
        except (ValueError, KeyError) as error:
            raise ComposeError(f"cannot build the calendar links: {error}") from error
        context["google_url"] = ics.google_calendar_url(facts)
        context["outlook_url"] = ics.outlook_calendar_url(facts)
    text_body = render_template(f"email/{item.kind}.txt", **context)
    html_body = render_template(f"email/{item.kind}.html", **context)

    from_address = sender()
    from_header = _mailbox("From", from_address.display_name, from_address.addr_spec)
    to_name = item.snapshot.get("to_name") or item.snapshot.get("patient_name", "")
    to_header = _mailbox("To", to_name, item.to_address)

    # From, To and Subject are built by booking.notify.headers and written out exactly as
    # built: the email package never parses (and so never decodes) them.
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = from_header
    message["To"] = to_header
    message["Subject"] = headers.unstructured("Subject", subject_for(item, context))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = item.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body, subtype="plain", charset="utf-8")
    message.add_alternative(html_body, subtype="html", charset="utf-8")

    calendar = None
    if item.kind is MessageKind.FOLLOW_UP and link is None:
        raise ComposeError("a follow-up needs the link to its questions")
    if item.kind not in NO_INVITATION_KINDS:
        if link is None:
            raise ComposeError("a booking message needs a manage link")
        method: ics.Method = "CANCEL" if item.kind in CANCEL_KINDS else "REQUEST"
        try:
            calendar = ics.invitation(_facts(item, link=link, method=method), method)
        except (ValueError, KeyError) as error:
            raise ComposeError(f"cannot build the invitation: {error}") from error
        # Bytes, so the email package base64-encodes them as they are: CRLF survives.
        message.add_alternative(calendar, maintype="text", subtype="calendar")
        part = message.get_payload()[-1]
        # Written by hand so the parameters read exactly as RFC 6047 shows them.
        part.replace_header("Content-Type", f"text/calendar; method={method}; charset=UTF-8")
        message.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
        if item.kind is MessageKind.COURSE_BOOKED:
            _attach_sessions(message, item, manage_token)
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # only the top level carries it

    raw = message.as_bytes(policy=SMTP_POLICY)
    return ComposedEmail(
        message=message,
        raw=raw,
        envelope_from=headers.addr_spec(from_address.addr_spec),
        envelope_to=headers.addr_spec(item.to_address),
        calendar=calendar,
    )
