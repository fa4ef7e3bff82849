"""A clinician's own link: sent from a hold, used once, expiring with the hold; the
clearance it gives acts and binds exactly as the patient's attestation does."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import (
    ActorKind,
    ApprovalState,
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    ClinicianKind,
    ClinicianLink,
    ClinicianLinkToken,
    MessageKind,
    OutboxMessage,
)
from booking.registration import RegistrationInvalid, clean_registration
from booking.services import clearance, clinician_links
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.screens import severe
from tests.support.clearance import FRIDAY_10, NOW, book, cleared, make_clearance_clinic
from tests.support.races import race

LATER = NOW + timedelta(days=20)
NEXT_START = FRIDAY_10 + timedelta(days=28)


@pytest.fixture
def clinic(app):
    return make_clearance_clinic()


def held(clinic, *, deep=False):
    service, deep_id, therapist = clinic
    booking = book(deep_id if deep else service, therapist, severe())
    assert booking.status is BookingStatus.HELD
    return booking.id


def send(booking_id, *, name="Dr Amara Patel", email="a.patel@surgery.example", now=NOW):
    return clinician_links.send(booking_id, name=name, email=email, actor=Actor.patient(), now=now)


def sent_link(booking_id, now=NOW) -> tuple[int, str]:
    """Send a request and mint its token as the worker does when it sends the email."""
    link = send(booking_id, now=now)
    token = clinician_links.mint(link.id, now=now)
    db.session.commit()
    return link.id, token


def statement(outcome=ClearanceOutcome.CLEARED, ticks=(), **changes):
    values = {
        "outcome": outcome,
        "clinician_name": "Dr Amara Patel",
        "clinician_kind": ClinicianKind.GP,
        "registration": "7654321",
        "restriction_ticks": ticks,
        "truthful": True,
        "source": ClearanceSource.CLINICIAN,
    }
    values.update(changes)
    return clearance.ClearanceStatement(**values)


def clearances(booking_id) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count(Clearance.id)).where(Clearance.booking_id == booking_id)
    )


def actions(booking_id) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.booking_id == booking_id, AuditEvent.action.like("clinician_link.%"))
            .order_by(AuditEvent.id)
        )
    )


def test_sending_stores_the_request_queues_its_email_and_no_working_link(clinic):
    booking_id = held(clinic)
    link = send(booking_id)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CLINICIAN_REQUEST)
    )
    assert message.to_address == "a.patel@surgery.example"
    assert message.booking_id == booking_id
    # What the email may say: who asks, until when; no treatment, time or health data.
    assert set(message.snapshot) == {
        "link_id",
        "to_name",
        "patient_name",
        "hold_expires_at",
        "dtstamp",
    }
    # The token exists only from the moment the email is sent, and only as a hash.
    assert db.session.scalar(select(func.count(ClinicianLinkToken.id))) == 0
    token = clinician_links.mint(link.id, now=NOW)
    db.session.commit()
    stored = db.session.scalar(select(ClinicianLinkToken.token_hash))
    assert stored != token and len(stored) == 64
    assert clinician_links.find(token, now=NOW).id == link.id
    assert actions(booking_id) == ["clinician_link.sent"]


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("", "gp@example.org", "name"),
        ("12345", "gp@example.org", "name"),
        ("Dr Patel", "", "email"),
        ("Dr Patel", "not an address", "email"),
    ],
)
def test_a_request_needs_a_name_and_an_address(clinic, name, email, field):
    booking_id = held(clinic)
    with pytest.raises(BookingError) as refused:
        send(booking_id, name=name, email=email)
    assert refused.value.reason == "invalid" and refused.value.field == field
    assert db.session.scalar(select(func.count(ClinicianLink.id))) == 0


def test_only_a_live_hold_can_be_sent_and_only_a_few_times(clinic, app):
    service, _, therapist = clinic
    confirmed = book(service, therapist, severe(pain_score=2), start=FRIDAY_10 + timedelta(hours=3))
    assert confirmed.status is BookingStatus.CONFIRMED
    with pytest.raises(BookingError) as refused:
        send(confirmed.id)
    assert refused.value.reason == "not_held"
    booking_id = held(clinic)
    for _ in range(app.config["CLINICIAN_LINKS_PER_HOLD"]):
        send(booking_id)
    with pytest.raises(BookingError) as refused:
        send(booking_id)
    assert refused.value.reason == "too_many"


def test_the_clinicians_clearance_confirms_the_hold_and_the_link_works_once(clinic):
    booking_id = held(clinic)
    link_id, token = sent_link(booking_id)
    result = clinician_links.submit(link_id, statement(), now=NOW)
    assert result.result == "confirmed"
    assert result.booking.status is BookingStatus.CONFIRMED
    recorded = result.clearance
    assert recorded.source is ClearanceSource.CLINICIAN
    assert recorded.clinician_registration == "7654321"
    assert recorded.valid_until is not None
    confirmed_by = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "booking.confirmed")
    )
    assert confirmed_by.actor_kind is ActorKind.CLINICIAN
    # Used: the link no longer opens, and a second submission records nothing.
    assert clinician_links.find(token, now=NOW) is None
    with pytest.raises(BookingError) as refused:
        clinician_links.submit(link_id, statement(), now=NOW)
    assert refused.value.reason == "not_held"
    assert clearances(booking_id) == 1
    assert actions(booking_id) == [
        "clinician_link.sent",
        "clinician_link.submitted",
        "clinician_link.refused",
    ]


def test_not_cleared_releases_the_hold_at_no_charge(clinic):
    booking_id = held(clinic)
    link_id, _ = sent_link(booking_id)
    result = clinician_links.submit(
        link_id, statement(outcome=ClearanceOutcome.NOT_CLEARED), now=NOW
    )
    assert result.result == "released"
    assert result.booking.status is BookingStatus.RELEASED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registration": ""}, "registration"),
        ({"registration": "123456"}, "registration"),  # a GMC number is 7 digits
        ({"registration": "PH12345"}, "registration"),  # an HCPC number, not a GP's
        ({"clinician_kind": ClinicianKind.PHYSIOTHERAPIST, "registration": "1234567"}, None),
        ({"clinician_name": " "}, "clinician_name"),
        ({"clinician_kind": None}, "clinician_kind"),
        ({"truthful": False}, "truthful"),
    ],
)
def test_a_bad_statement_changes_nothing_and_leaves_the_link_open(clinic, changes, field):
    booking_id = held(clinic)
    link_id, token = sent_link(booking_id)
    with pytest.raises(BookingError) as refused:
        clinician_links.submit(link_id, statement(**changes), now=NOW)
    assert refused.value.reason == "invalid"
    assert refused.value.field == (field or "registration")
    assert clearances(booking_id) == 0
    assert clinician_links.find(token, now=NOW) is not None


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [
        ("gp", "1234567", "1234567"),
        ("gp", " 123 4567 ", "1234567"),
        ("physiotherapist", "ph123456", "PH123456"),
        ("physiotherapist", "PH-12345", "PH12345"),
        ("other", "nmc 12A3456E", "NMC12A3456E"),
    ],
)
def test_registration_numbers_are_kept_in_the_registers_shape(kind, number, expected):
    assert clean_registration(kind, number) == expected


@pytest.mark.parametrize(
    ("kind", "number"),
    [("gp", "12345678"), ("gp", "GMC1234"), ("physiotherapist", "PH1234"), ("other", "ABCDEF")],
)
def test_registration_numbers_of_the_wrong_shape_are_refused(kind, number):
    with pytest.raises(RegistrationInvalid):
        clean_registration(kind, number)


def test_the_link_expires_with_the_hold(clinic):
    booking_id = held(clinic)
    link_id, token = sent_link(booking_id)
    expiry = db.session.get(Booking, booking_id).hold_expires_at
    assert clinician_links.find(token, now=expiry - timedelta(seconds=1)) is not None
    assert clinician_links.find(token, now=expiry) is None
    # A lapsed hold is never re-reserved through the link, though the patient's own
    # attestation may still do it.
    with pytest.raises(BookingError) as refused:
        clinician_links.submit(link_id, statement(), now=expiry + timedelta(minutes=1))
    assert refused.value.reason == "not_held"
    assert clearances(booking_id) == 0
    assert actions(booking_id)[-1] == "clinician_link.refused"


def test_an_extended_hold_extends_the_link(clinic):
    booking_id = held(clinic)
    _, token = sent_link(booking_id)
    expiry = db.session.get(Booking, booking_id).hold_expires_at
    clearance.extend_hold(
        booking_id, reason="The GP appointment is on Thursday", actor=Actor.staff(None), now=NOW
    )
    assert clinician_links.find(token, now=expiry + timedelta(minutes=1)) is not None


def test_the_link_closes_once_the_patient_has_attested(clinic):
    booking_id = held(clinic)
    link_id, token = sent_link(booking_id)
    clearance.attest(booking_id, cleared(ticks=("avoid_area",)), actor=Actor.patient(), now=NOW)
    assert clinician_links.find(token, now=NOW) is None  # awaiting the therapist's approval
    with pytest.raises(BookingError):
        clinician_links.submit(link_id, statement(), now=NOW)
    assert clearances(booking_id) == 1


def test_the_clinicians_restrictions_bind_like_the_patients(clinic):
    service, deep, therapist = clinic
    booking_id = held(clinic)
    link_id, _ = sent_link(booking_id)
    result = clinician_links.submit(
        link_id,
        statement(ticks=("no_deep_pressure",), restrictions="Nothing firm on the lower back"),
        now=NOW,
    )
    # "cleared" with a restriction is cleared with restrictions: a therapist approves.
    assert result.result == "awaiting_approval"
    assert result.clearance.outcome is ClearanceOutcome.CLEARED_WITH_RESTRICTIONS
    assert result.clearance.approval is ApprovalState.PENDING
    bound = clearance.restrictions_for(result.booking, now=NOW)
    assert bound.ticks == ("No deep pressure",)
    assert bound.notes == ("Nothing firm on the lower back",)
    clearance.decide(booking_id, approve=True, actor=Actor.staff(None), now=NOW)
    with pytest.raises(BookingError) as refused:
        book(deep, therapist, severe(), start=NEXT_START, now=LATER)
    assert refused.value.reason == "not_suitable"
    gentle = book(service, therapist, severe(), start=NEXT_START + timedelta(hours=3), now=LATER)
    assert gentle.status is BookingStatus.CONFIRMED


def test_restrictions_that_rule_out_the_treatment_planned_record_nothing(clinic):
    booking_id = held(clinic, deep=True)
    link_id, token = sent_link(booking_id)
    with pytest.raises(BookingError) as refused:
        clinician_links.submit(link_id, statement(ticks=("light_pressure_only",)), now=NOW)
    assert refused.value.reason == "not_suitable"
    assert clearances(booking_id) == 0
    assert clinician_links.find(token, now=NOW) is not None


def test_the_clinicians_words_are_encrypted_at_rest(clinic):
    booking_id = held(clinic)
    link_id, _ = sent_link(booking_id)
    clinician_links.submit(
        link_id, statement(restrictions="Avoid the left hip after the operation"), now=NOW
    )
    db.session.commit()
    raw = db.session.execute(
        db.text(
            "SELECT c.restrictions, c.clinician_name, c.clinician_registration, "
            "l.clinician_name, l.clinician_email FROM clearances c "
            "JOIN clinician_links l ON l.booking_id = c.booking_id"
        )
    ).one()
    for value in raw:
        # Words long enough that a ciphertext cannot contain them by chance.
        assert "the left hip" not in value and "Patel" not in value and "7654321" not in value
        assert "surgery.example" not in value


@pytest.mark.committed
def test_one_link_submitted_many_times_at_once_gives_one_clearance(app, clinic):
    booking_id = held(clinic)
    link_id, _ = sent_link(booking_id)
    outcomes = race(app, lambda i: clinician_links.submit(link_id, statement(), now=NOW), 8)
    assert outcomes == Counter({"ok": 1, "not_held": 7})
    assert clearances(booking_id) == 1
    booking = db.session.get(Booking, booking_id)
    assert booking.status is BookingStatus.CONFIRMED and booking.ics_sequence == 1


@pytest.mark.committed
def test_the_link_racing_the_patients_own_attestation_gives_one_clearance(app, clinic):
    booking_id = held(clinic)
    link_ids = [sent_link(booking_id)[0] for _ in range(2)]

    def work(i):
        if i % 3 == 0:
            clearance.attest(booking_id, cleared(), actor=Actor.patient(), now=NOW)
        else:
            clinician_links.submit(link_ids[i % 2], statement(), now=NOW)

    outcomes = race(app, work, 6)
    assert outcomes["ok"] == 1
    assert sum(outcomes.values()) == 6
    assert clearances(booking_id) == 1
    booking = db.session.get(Booking, booking_id)
    assert booking.status is BookingStatus.CONFIRMED and booking.ics_sequence == 1
