"""Reading patients for reception: search, history, and the audited, role-checked intake view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.intake import QUESTIONS
from booking.models import AuditEvent, StaffRole
from booking.services import patient_records
from booking.services.audit import Actor
from tests.support.builders import make_booking, make_patient, make_therapist
from tests.support.notify import book, make_clinic

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
MONDAY_10 = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)


def names(patients) -> list[str]:
    return [p.name for p in patients]


@pytest.fixture
def people(app):
    make_patient(name="Zoë Hart", email="zoe.hart@example.org", phone="+447700900111")
    make_patient(name="Adam Hartley", email="adam@example.org", phone="+447700900222")
    make_patient(name="Priya Shah", email="priya_50%@example.org", phone="+447911123456")
    db.session.commit()


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("hart", ["Adam Hartley", "Zoë Hart"]),  # any part of the name, any case, by name
        ("ZOE.HART@EXAMPLE", ["Zoë Hart"]),  # an address is compared lower-cased
        ("07911 123456", ["Priya Shah"]),  # a national number finds the stored E.164 one
        ("+44 7911 123456", ["Priya Shah"]),
        ("900 222", ["Adam Hartley"]),  # part of a number, wherever it sits
        ("  hart   ley ", []),  # spaces are squeezed, not dropped
        ("_50%", ["Priya Shah"]),  # LIKE wildcards are plain characters
        ("%", []),
    ],
)
def test_search_finds_by_name_email_or_phone(people, query, found):
    assert names(patient_records.search(query, region="GB")) == found


def test_a_blank_or_one_letter_search_returns_nobody(people):
    assert patient_records.search("", region="GB") == []
    assert patient_records.search(" a ", region="GB") == []
    assert patient_records.search(None, region="GB") == []


def test_search_stops_at_its_limit(app):
    for n in range(5):
        make_patient(name=f"Sam {n}")
    assert names(patient_records.search("sam", region="GB", limit=3)) == ["Sam 0", "Sam 1", "Sam 2"]


def test_history_is_latest_first_and_only_this_patients(app):
    patient = make_patient()
    other = make_patient()
    older = make_booking(starts_at=MONDAY_10, patient=patient)
    newer = make_booking(starts_at=MONDAY_10 + timedelta(days=7), patient=patient)
    make_booking(starts_at=MONDAY_10 + timedelta(days=1), patient=other)
    assert [b.id for b in patient_records.history(patient)] == [newer.id, older.id]


def test_a_booking_is_found_only_by_its_exact_reference(app):
    booking = make_booking(starts_at=MONDAY_10)
    assert patient_records.booking_by_ref(booking.public_id) is booking
    for ref in ("", None, booking.public_id.upper(), booking.public_id[:-1], "%", str(booking.id)):
        assert patient_records.booking_by_ref(ref) is None


def test_only_admins_and_the_bookings_own_therapist_may_see_health_data(app):
    booking = make_booking(starts_at=MONDAY_10)
    other = make_therapist()
    may = patient_records.may_see_health
    assert may(StaffRole.ADMIN, None, booking)
    assert may(StaffRole.THERAPIST, booking.therapist_id, booking)
    assert not may(StaffRole.THERAPIST, other.id, booking)
    assert not may(StaffRole.THERAPIST, None, booking)
    assert not may(StaffRole.RECEPTION, booking.therapist_id, booking)


@pytest.fixture
def held(app):
    return book(make_clinic(), MONDAY_10, now=NOW, hold=True)


def intake_views() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.viewed")))


def test_reception_is_refused_the_intake_and_nothing_is_recorded(held):
    with pytest.raises(patient_records.NotAllowed):
        patient_records.view_intake(
            held, role=StaffRole.RECEPTION, therapist_id=None, actor=Actor.staff(None), now=NOW
        )
    assert intake_views() == []


def test_the_intake_reads_back_as_the_patient_was_asked_and_the_view_is_audited(held):
    view = patient_records.view_intake(
        held, role=StaffRole.ADMIN, therapist_id=None, actor=Actor.staff(None), now=NOW
    )
    assert view.booking is held
    assert [line.question for line in view.answers] == [
        q.number for q in QUESTIONS for _field in q.fields
    ]
    fields = {f.name: f for q in QUESTIONS for f in q.fields}
    answered = {line.text: line.answer for line in view.answers}
    assert answered[fields["pain_score"].text] == "8"
    assert answered[fields["sudden_onset"].text] == "No"
    # A choice reads as the label the patient picked, not its stored code.
    location = fields["location"]
    label = next(c.label for c in location.choices if c.value == "lower_back")
    assert answered[location.text] == label != "lower_back"
    # The rule that held the booking is named, with its reason in plain words.
    assert view.rules and all(rule.reason for rule in view.rules)
    assert view.clearances == []
    [event] = intake_views()
    assert event.booking_id == held.id
    assert event.details == {"role": "admin"}  # who looked, never what they saw


def test_no_answers_read_as_no_lines():
    assert patient_records.answer_lines(None) == []
    assert patient_records.answer_lines({}) == []
