"""Staff accounts under attack: deactivation ends a session mid-way, the password policy
holds at every door, and names in any script are kept and shown right."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking import clock
from booking.auth import passwords
from booking.extensions import db
from booking.ics import short_patient_name
from booking.models import StaffNote, StaffRole, StaffUser
from booking.services import staff as staff_service
from booking.services.audit import Actor
from booking.services.staff import StaffError
from tests.conftest import DEFAULT_NOW
from tests.web.test_reception_actions import booking_for, signed_in

GOOD = "correct horse battery"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def clinic(app):
    from tests.builders import make_room, make_service, make_therapist

    service = make_service(durations=((60, 5000),), name="Back massage")
    therapist = make_therapist(services=[service], name="Tess Therapist")
    room = make_room()
    db.session.commit()
    return {"service": service, "therapist": therapist, "room": room}


def test_a_deactivated_account_is_signed_out_mid_session(app, clinic):
    desk, member = signed_in(app, StaffRole.RECEPTION)
    admin, _ = signed_in(app, StaffRole.ADMIN)
    booking = booking_for(clinic)
    assert desk.get("/reception/").status_code == 200
    assert admin.post(f"/reception/admin/staff/{member.id}/deactivate").status_code == 303
    # The very next request, a read or a write, goes to the sign-in page and changes nothing.
    page = desk.get("/reception/")
    assert page.status_code == 302 and page.location.startswith("/staff/login")
    note = desk.post(f"/reception/bookings/{booking.public_id}/notes", data={"body": "hello"})
    assert note.status_code == 303 and note.location.startswith("/staff/login")
    db.session.rollback()
    assert db.session.scalars(select(StaffNote)).all() == []
    # And the old password no longer opens a new session.
    fresh = app.test_client()
    response = fresh.post("/staff/login", data={"email": member.email, "password": "x" * 20})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "password",
    [
        "",
        "short",
        "x" * (passwords.MIN_PASSWORD_LENGTH - 1),
        "y" * (passwords.MAX_PASSWORD_LENGTH + 1),
    ],
    ids=["empty", "short", "one-too-short", "too-long"],
)
def test_the_password_policy_holds_at_every_door(app, password):
    with pytest.raises(StaffError, match="password"):
        staff_service.create_staff(
            email="new@clinic.example",
            name="New Person",
            role="reception",
            password=password,
            actor=Actor.system(),
            now=DEFAULT_NOW,
        )
    admin, _ = signed_in(app, StaffRole.ADMIN)
    member = staff_service.create_staff(
        email="member@clinic.example",
        name="Mem Ber",
        role="reception",
        password=GOOD,
        actor=Actor.system(),
        now=DEFAULT_NOW,
    )
    before = member.password_hash
    admin.post(f"/reception/admin/staff/{member.id}/password", data={"password": password})
    db.session.rollback()
    assert db.session.get(StaffUser, member.id).password_hash == before
    assert staff_service.authenticate("member@clinic.example", GOOD, now=DEFAULT_NOW)


def test_passwords_are_stored_as_argon2id_and_long_ones_are_fine(app):
    member = staff_service.create_staff(
        email="member@clinic.example",
        name="Mem Ber",
        role="reception",
        password="ü" * passwords.MIN_PASSWORD_LENGTH,
        actor=Actor.system(),
        now=DEFAULT_NOW,
    )
    assert member.password_hash.startswith("$argon2id$")
    assert "ü" not in member.password_hash


# --- Names in any script --------------------------------------------------------------------

NAMES = {
    "Sam 🙂 Lee 👩\u200d⚕️": "Sam L.",
    'Mary O\'Brien, Jr.; "Molly"': "Mary O.",
    "Zoë Ørsted": "Zoë Ø.",
    "José María de la Cruz": "José C.",
    "Anne-Marie (Annie) Ólafsdóttir": "Anne-Marie Ó.",
    "王小明": "王小明",
    "محمد علي": "محمد ع.",
    "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Rhys Jones": "Rhys J.",
}


@pytest.mark.parametrize("name", NAMES)
def test_short_names_take_the_first_letter_of_a_word(name):
    assert short_patient_name(name) == NAMES[name]


@pytest.mark.parametrize("name", list(NAMES)[:4])
def test_reception_books_a_caller_with_a_name_in_any_script(app, clinic, name):
    from tests.web.test_reception_actions import caller

    desk, _ = signed_in(app, StaffRole.RECEPTION)
    response = desk.post("/reception/book", data=caller(clinic, name=name))
    assert response.status_code == 303, response.text[:500]
    page = desk.get(response.location)
    escaped = name.replace("'", "&#39;").replace('"', "&#34;")
    assert escaped in page.text or name in page.text


@pytest.mark.parametrize(
    "hidden",
    [
        "Jo\u202eBloggs",
        "Jo\u200bBloggs",
        "Jo\u2066x\u2069",
        "Jo\U000e0041\U000e0042",
        "\u200dJo",
        "Jo\ufeff",
    ],
)
def test_characters_that_could_hide_text_are_refused(app, clinic, hidden):
    from tests.web.test_reception_actions import caller

    desk, _ = signed_in(app, StaffRole.RECEPTION)
    response = desk.post("/reception/book", data=caller(clinic, name=hidden))
    assert response.status_code == 400
