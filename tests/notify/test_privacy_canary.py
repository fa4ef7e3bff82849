"""A canary: what the patient told us never reaches an email, a calendar, a feed, an API
answer or a log: not the note, nor any other field that can carry health information
(screen answers and flags, staff notes, clearance details and reasons, audit details)."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import UTC, datetime, timedelta

from booking import clock
from booking.extensions import db
from booking.models import ClearanceOutcome, ClinicianKind, FeedToken, MessageKind
from booking.services import bookings, clearance, manage_links, visits
from booking.services.audit import Actor
from booking.tokens import new_token, token_hash
from booking.worker.delivery import deliver_due
from booking.worker.jobs import run_jobs
from tests.support.notify import book, ensure_queued, make_clinic, messages, parse_mail

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)
CANARY = "Quokkafeather"
NOTE = f"{CANARY} herniated disc L4 {CANARY.upper()} sciatica"


def test_the_patient_note_never_leaves_the_database(mail_app, smtp_server, caplog):
    caplog.set_level(logging.DEBUG, logger="booking")
    caplog.set_level(logging.INFO)
    clinic = make_clinic()
    with clock.frozen(NOW):
        held = book(clinic, START, now=NOW, hold=True, note=NOTE, name="Jane Doe")
        confirmed = book(
            clinic, START + timedelta(hours=3), now=NOW, note=NOTE, email="ann@example.org"
        )
    ensure_queued(MessageKind.HELD, held, now=NOW)
    ensure_queued(MessageKind.BOOKED, confirmed, now=NOW)
    later = NOW + timedelta(hours=1)
    with clock.frozen(later):
        moved = bookings.reschedule(
            confirmed.id, START + timedelta(hours=5), actor=Actor.patient(), now=later
        )
    ensure_queued(MessageKind.RESCHEDULED, moved, now=later)
    token = new_token()
    db.session.add(FeedToken(token_hash=token_hash(token), created_at=NOW))
    db.session.commit()
    with clock.frozen(later):
        feed = mail_app.test_client().get(f"/feeds/{token}.ics").data
    assert feed.count(b"BEGIN:VEVENT") == 2
    assert b"Jane D." in feed
    run_jobs(START - timedelta(hours=23))  # reminders and the hold's expiry
    deliver_due(START - timedelta(hours=23))
    with clock.frozen(later):
        cancelled = bookings.cancel(confirmed.id, actor=Actor.patient(), now=later)
    ensure_queued(MessageKind.CANCELLED, cancelled, now=later)
    deliver_due(START - timedelta(hours=22))

    assert len(smtp_server.received) >= 4
    for message in messages():
        assert CANARY not in str(message.snapshot)
    everything = [r.data for r in smtp_server.received] + [feed]
    for data in everything:
        lowered = data.lower()
        assert CANARY.lower().encode() not in lowered
        assert b"herniated" not in lowered
        assert b"sciatica" not in lowered
    for record in caplog.records:
        assert CANARY.lower() not in record.getMessage().lower()


HEALTH_WORDS = (b"sciatica", b"herniated", b"pain_score", b"blood_thinners", b"left hip")


def test_no_health_field_reaches_an_email_a_feed_an_api_answer_or_a_log(
    mail_app, smtp_server, caplog
):
    caplog.set_level(logging.DEBUG, logger="booking")
    caplog.set_level(logging.INFO)
    clinic = make_clinic(service_name="Back massage")
    with clock.frozen(NOW):
        held = book(clinic, START, now=NOW, hold=True, note=NOTE, name="Jane Doe")
    ensure_queued(MessageKind.HELD, held, now=NOW)
    step = NOW + timedelta(minutes=5)
    visits.add_note(held.id, f"{CANARY} staff note: sciatica", actor=Actor.staff(None), now=step)
    clearance.extend_hold(
        held.id,
        reason=f"{CANARY} GP appointment for the sciatica",
        actor=Actor.staff(None),
        now=step,
    )
    clearance.attest(
        held.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED,
            clinician_name=f"Dr {CANARY}",
            clinician_kind=ClinicianKind.GP,
            consultation_date=NOW.date(),
            restriction_ticks=("avoid_area",),
            restrictions=f"{CANARY} restriction: left hip",
            truthful=True,
        ),
        actor=Actor.patient(),
        now=step,
    )
    clearance.decide(held.id, approve=True, actor=Actor.staff(None), now=step)
    ensure_queued(MessageKind.CLEARANCE_CONFIRMED, held, now=step)
    token = new_token()
    db.session.add(FeedToken(token_hash=token_hash(token), created_at=NOW))
    manage = manage_links.mint(held, now=step)
    db.session.commit()
    client = mail_app.test_client()
    with clock.frozen(step):
        feed = client.get(f"/feeds/{token}.ics").data
        api = client.get(f"/api/v1/bookings/{manage}").data
    assert b"BEGIN:VEVENT" in feed and b"public_id" in api
    deliver_due(START - timedelta(hours=30))

    assert len(smtp_server.received) >= 2
    for data in [r.data for r in smtp_server.received] + [feed, api]:
        lowered = data.lower()
        assert CANARY.lower().encode() not in lowered
        for word in HEALTH_WORDS:
            assert word not in lowered, word
    for record in caplog.records:
        assert CANARY.lower() not in record.getMessage().lower()


# Words the follow-up email must never carry, in its subject or its bodies: it may be read
# by anyone who sees the patient's inbox. (The clinic's own name is the one exception.)
FOLLOW_UP_HEALTH_WORDS = (
    "pain",
    "symptom",
    "numb",
    "tingl",
    "bruis",
    "sore",
    "massage",
    "treatment",
    "health",
    "doctor",
    "medical",
    "999",
    "red flag",
    "screen",
    "clearance",
    "held",
)


def test_the_follow_up_email_has_no_health_words(mail_app, smtp_server):
    clinic = make_clinic(service_name="Back massage")
    start = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)
    with clock.frozen(NOW):
        booking = book(clinic, start, now=NOW, hold=False, note=NOTE)
    visits.mark_arrived(booking.id, actor=Actor.system(), now=start)
    visits.mark_completed(booking.id, actor=Actor.system(), now=start + timedelta(hours=1))
    sent_at = start + timedelta(hours=25)
    run_jobs(sent_at)
    deliver_due(sent_at)

    (follow_up,) = [r for r in smtp_server.received if b"/follow-up/" in r.data]
    parsed = parse_mail(follow_up.data)
    parts = [str(parsed["Subject"])] + [
        part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"
    ]
    assert not [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    name = mail_app.config["CLINIC_NAME"]
    for part in parts:
        lowered = part.replace(name, "").replace(name.replace("&", "&amp;"), "").lower()
        assert CANARY.lower() not in lowered
        for word in FOLLOW_UP_HEALTH_WORDS:
            assert word not in lowered, (word, part[:200])
    assert "visit" in str(parsed["Subject"]).lower()


WAITLIST_HEALTH_WORDS = (
    *HEALTH_WORDS,
    b"blood thinners",
    b"clot",
    b"pain score",
    b"8/10",
    b"clearance",
    b"doctor",
    b"screen",
)


def test_waitlist_emails_carry_no_health_data(mail_app, smtp_server, caplog):
    """The joining and offer emails of a patient whose screen would hold the booking and
    who takes blood thinners say nothing of either: no answers, no flags, no hold."""
    from booking.intake import HistoryItem
    from booking.services.waitlist import entries
    from booking.services.waitlist.offering import offer_free_times
    from tests.support.screens import severe

    caplog.set_level(logging.DEBUG, logger="booking")
    clinic = make_clinic(service_name="Back massage")
    first = (NOW + timedelta(days=4)).date()
    entry, _ = entries.join(
        entries.JoinRequest(
            service_id=clinic.service_id,
            minutes=60,
            first_day=first,
            last_day=first,
            name="Wendy Waiting",
            email="wendy@example.org",
            phone="+447700900456",
            screen=severe(history=frozenset({HistoryItem.BLOOD_THINNERS})),
        ),
        actor=Actor.patient(),
        now=NOW,
    )
    assert entry.needs_clearance
    assert offer_free_times(now=NOW + timedelta(minutes=1)) == 1
    deliver_due(NOW + timedelta(minutes=1))

    kinds = {m.kind for m in messages()}
    assert kinds == {MessageKind.WAITLIST_JOINED, MessageKind.WAITLIST_OFFER}
    for message in messages():
        snapshot = str(message.snapshot).lower()
        for word in ("pain", "screen", "clearance", "thinners", "needs_"):
            assert word not in snapshot, word
    assert len(smtp_server.received) == 2
    for data in (r.data for r in smtp_server.received):
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        # The decoded bodies and headers: what the patient's mail client shows.
        shown = str(parsed["Subject"]) + "".join(
            part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"
        )
        assert "Back massage" in shown  # the check reads the words, not an encoding
        for word in WAITLIST_HEALTH_WORDS:
            assert word.decode() not in shown.lower(), word
    for record in caplog.records:
        assert "thinners" not in record.getMessage().lower()
