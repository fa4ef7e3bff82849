"""Patients: search by name, email or phone; history; the audited, role-limited intake view.

Also holds the staff sign-in helpers the mail and admin tests share.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.auth import sessions
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    Intake,
    StaffRole,
)
from booking.services import staff as staff_service
from booking.services.audit import Actor
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


# ---- shared helpers (imported by test_reception_mail and test_admin) -------------------------


def make_member(role: StaffRole, *, therapist_id: int | None = None, email: str | None = None):
    member = staff_service.create_staff(
        email=email or f"{role.value}@clinic.example",
        name=f"{role.value.title()} Person",
        role=role,
        password=PASSWORD,
        therapist_id=therapist_id,
        actor=Actor.system(),
        now=NOW,
    )
    if role is StaffRole.ADMIN and hasattr(member, "totp_secret"):
        # Admins owe a second factor; these tests are about other pages, so mark it set up.
        member.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        member.totp_last_step = 1
        db.session.commit()
    return member


def signed_in(app, member):
    """A test client whose session is signed in as ``member`` (every login step passed)."""
    client = app.test_client()
    epoch = int(clock.now().timestamp())
    with client.session_transaction() as session:
        session["_user_id"] = str(member.id)
        session["_fresh"] = True
        session[sessions.VERSION_KEY] = member.session_version
        session[sessions.SIGNED_IN_AT_KEY] = epoch
        session[sessions.LAST_SEEN_KEY] = epoch
    return client


def client_for(app, role: StaffRole, **fields):
    member = make_member(role, **fields)
    return signed_in(app, member), member


def actions(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def clinic(app):
    service = make_service(name="Back massage")
    tess = make_therapist(services=[service], name="Tess Therapist")
    otto = make_therapist(services=[service], name="Otto Other")
    room = make_room()
    ann = make_patient(
        name="Ann <b>Archer</b>", email="ann.archer@example.org", phone="+447700900123"
    )
    bob = make_patient(name="Bob Baker", email="bob@example.net", phone="+447700900999")
    booking = make_booking(
        starts_at=NOW + timedelta(days=2), service=service, therapist=tess, room=room, patient=ann
    )
    older = make_booking(
        starts_at=NOW - timedelta(days=30), service=service, therapist=otto, room=room, patient=ann
    )
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers={
                "location": "lower_back",
                "duration": "over_12_weeks",
                "sudden_onset": False,
                "pain_score": 8,
                "disturbs_sleep_or_daily_life": False,
                "recent_injury": "none",
                "long_term_steroids": False,
                "emergency_symptoms": [],
                "urgent_symptoms": [],
                "history": ["blood_thinners"],
                "under_care": False,
                "told_not_to_massage": False,
            },
            outcome="hold",
            rule_codes=["q3.pain_score"],
            flags=["blood_thinners"],
            consent_version="1",
            consented_at=NOW,
        )
    )
    db.session.add(
        Clearance(
            booking_id=booking.id,
            patient_id=ann.id,
            source=ClearanceSource.PATIENT,
            clinician_name="Dr <i>Gee</i>",
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            restriction_ticks=["light_pressure_only"],
            restrictions="Avoid the lumbar spine",
            wording_version="1",
            attested_at=NOW,
        )
    )
    db.session.commit()
    return {"tess": tess, "otto": otto, "ann": ann, "bob": bob, "booking": booking, "older": older}


# ---- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "archer",
        "ANN",
        "Ann.Archer@Example.org",
        "example.org",
        "07700 900123",
        "+44 7700 900123",
        "900123",
    ],
)
def test_search_finds_by_name_email_or_phone(app, clinic, query):
    client, _ = client_for(app, StaffRole.RECEPTION)
    page = client.get("/reception/patients", query_string={"q": query})
    assert page.status_code == 200
    assert f"/reception/patients/{clinic['ann'].id}" in page.text
    assert "Bob Baker" not in page.text


def test_search_shows_names_escaped_and_says_when_nothing_matches(app, clinic):
    client, _ = client_for(app, StaffRole.RECEPTION)
    page = client.get("/reception/patients?q=archer")
    assert "Ann &lt;b&gt;Archer&lt;/b&gt;" in page.text
    assert "<b>Archer</b>" not in page.text
    nothing = client.get("/reception/patients?q=zzz%25")
    assert nothing.status_code == 200
    assert "No patient matches" in nothing.text
    assert client.get("/reception/patients").status_code == 200


def test_patient_page_lists_contact_and_history_without_health_data_for_reception(app, clinic):
    client, _ = client_for(app, StaffRole.RECEPTION)
    page = client.get(f"/reception/patients/{clinic['ann'].id}")
    assert page.status_code == 200
    assert "ann.archer@example.org" in page.text
    assert "+447700900123" in page.text
    assert page.text.count("Back massage") == 2
    assert f"/reception/bookings/{clinic['booking'].public_id}" in page.text
    assert "/intake" not in page.text
    assert "blood" not in page.text
    assert client.get("/reception/patients/999999").status_code == 404


def test_therapist_sees_the_intake_link_only_for_own_clients(app, clinic):
    client, _ = client_for(app, StaffRole.THERAPIST, therapist_id=clinic["tess"].id)
    page = client.get(f"/reception/patients/{clinic['ann'].id}")
    assert f"/reception/bookings/{clinic['booking'].public_id}/intake" in page.text
    assert f"/reception/bookings/{clinic['older'].public_id}/intake" not in page.text


# ---- the intake page -------------------------------------------------------------------------


def intake_url(booking) -> str:
    return f"/reception/bookings/{booking.public_id}/intake"


def test_reception_never_sees_the_intake(app, clinic):
    client, _ = client_for(app, StaffRole.RECEPTION)
    response = client.get(intake_url(clinic["booking"]))
    assert response.status_code == 403
    assert "blood" not in response.text.lower()
    assert actions("intake.viewed") == []


def test_another_therapist_is_refused(app, clinic):
    client, _ = client_for(app, StaffRole.THERAPIST, therapist_id=clinic["otto"].id)
    assert client.get(intake_url(clinic["booking"])).status_code == 403
    assert actions("intake.viewed") == []


@pytest.mark.parametrize("role", [StaffRole.THERAPIST, StaffRole.ADMIN])
def test_the_bookings_therapist_and_admin_see_it_and_each_view_is_audited(app, clinic, role):
    fields = {"therapist_id": clinic["tess"].id} if role is StaffRole.THERAPIST else {}
    client, member = client_for(app, role, **fields)
    page = client.get(intake_url(clinic["booking"]))
    assert page.status_code == 200
    assert "On a typical day this week" in page.text or "how bad" in page.text.lower()
    assert "Lower back" in page.text
    assert "q3.pain_score" in page.text
    assert "blood thinners" in page.text
    assert "light pressure only" in page.text
    assert "Avoid the lumbar spine" in page.text
    assert "Dr &lt;i&gt;Gee&lt;/i&gt;" in page.text
    assert "Ann &lt;b&gt;Archer&lt;/b&gt;" in page.text
    client.get(intake_url(clinic["booking"]))
    viewed = actions("intake.viewed")
    assert len(viewed) == 2
    assert {e.booking_id for e in viewed} == {clinic["booking"].id}
    assert {e.staff_user_id for e in viewed} == {member.id}
    assert "blood" not in str(viewed[0].details)


def test_unknown_booking_ref_is_404(app, clinic):
    client, _ = client_for(app, StaffRole.ADMIN)
    assert client.get("/reception/bookings/nope/intake").status_code == 404
    assert client.get(f"/reception/bookings/{'0' * 32}/intake").status_code == 404
