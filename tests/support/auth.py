"""Signing staff in from tests, through every step their account owes (password, TOTP).

Admins always owe a TOTP code, so a test that signs an admin in with the password alone
stops half-way. ``sign_in_fully`` does what a person does: the password, then the set-up
page (reading the key it shows) or the code page, with a code their app would show.
Works with CSRF off (the test apps' default).
"""

from __future__ import annotations

import re

from booking import clock
from booking.auth import totp
from booking.extensions import db
from booking.models import StaffRole, StaffUser
from booking.services import staff as staff_service
from booking.services.audit import Actor
from tests.support.database import DEFAULT_NOW

PASSWORD = "correct horse battery"
SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)</code>')


def make_staff(role=StaffRole.RECEPTION, email=None, **fields) -> StaffUser:
    role = StaffRole(role)
    return staff_service.create_staff(
        email=email or f"{role.value}@clinic.example",
        name=fields.pop("name", f"{role.value.title()} Person"),
        role=role,
        password=fields.pop("password", PASSWORD),
        actor=Actor.system(),
        now=DEFAULT_NOW,
        **fields,
    )


def secret_on(page) -> str:
    found = SECRET_ON_PAGE.search(page.text)
    assert found, "no TOTP key on the set-up page"
    return found.group(1).replace(" ", "")


def next_code(staff: StaffUser, secret: str | None = None) -> str:
    """A code the app shows now that has not been used yet (the next step if now's was)."""
    db.session.refresh(staff)
    secret = secret or staff.totp_secret
    current = totp.time_step(clock.now())
    for step in range(current - totp.VALID_WINDOW, current + totp.VALID_WINDOW + 1):
        if staff.totp_last_step is None or step > staff.totp_last_step:
            return totp.code_for_step(secret, step)
    raise AssertionError("every code in the window has been used; move the clock on")


def sign_in_fully(client, email: str, password: str = PASSWORD):
    """Sign in through every step; return the last response (303 when signed in)."""
    response = client.post("/staff/login", data={"email": email, "password": password})
    for _ in range(4):
        if response.status_code != 303:
            return response
        staff = staff_service.find_by_email(email)
        if response.location.startswith("/staff/totp/setup"):
            secret = secret_on(client.get("/staff/totp/setup"))
            response = client.post("/staff/totp/setup", data={"code": next_code(staff, secret)})
        elif response.location.startswith("/staff/login/code"):
            db.session.refresh(staff)
            if not staff.totp_enrolled:  # the code page sends them to set-up first
                response = client.get("/staff/login/code")
                continue
            response = client.post("/staff/login/code", data={"code": next_code(staff)})
        else:
            return response
    return response


def signed_in_client(app, role=StaffRole.RECEPTION, **fields):
    """A test client of ``app`` signed in as a new account with ``role``."""
    staff = make_staff(role, **fields)
    client = app.test_client()
    response = sign_in_fully(client, staff.email)
    assert response.status_code == 303, response.location
    return client
