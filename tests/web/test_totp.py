"""The TOTP second factor: required for admins, open to all staff, single-use, not skippable."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select, text
from sqlalchemy.orm.attributes import set_committed_value

from booking import clock
from booking.auth import totp
from booking.extensions import db
from booking.models import AuditEvent, StaffRole
from booking.services import staff_totp
from booking.services.audit import Actor
from tests.support.auth import PASSWORD, make_staff, next_code, secret_on, sign_in_fully
from tests.support.database import DEFAULT_NOW, empty_database

T0 = DEFAULT_NOW  # on a 30-second boundary


def password_step(client, email):
    return client.post("/staff/login", data={"email": email, "password": PASSWORD})


def is_signed_in(client) -> bool:
    return client.get("/reception/").status_code == 200


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def enrolled_admin(client, email="admin@clinic.example"):
    """An admin who has set up TOTP (at T0) and signed out again; returns the account."""
    admin = make_staff(StaffRole.ADMIN, email=email)
    with clock.frozen(T0):
        assert sign_in_fully(client, email).status_code == 303
        client.post("/staff/logout")
    db.session.refresh(admin)
    assert admin.totp_enrolled
    return admin


def code_at(staff, moment, offset=0):
    db.session.refresh(staff)
    return totp.code_for_step(staff.totp_secret, totp.time_step(moment) + offset)


# ---- admins must set up and use a code ------------------------------------------------------


def test_admin_password_step_leads_to_the_code_step_not_to_reception(client):
    make_staff(StaffRole.ADMIN)
    response = password_step(client, "admin@clinic.example")
    assert response.status_code == 303
    assert response.location == "/staff/login/code"
    assert not is_signed_in(client)
    assert "staff.login" not in actions()


@pytest.mark.parametrize("path", ["/reception/", "/reception/admin/", "/reception/holds"])
def test_staff_pages_after_the_password_step_redirect_to_the_code_page(client, path):
    admin = make_staff(StaffRole.ADMIN)
    enrolled = make_staff(StaffRole.RECEPTION, email="desk@clinic.example")
    staff_totp.enrolment_secret(enrolled)
    with clock.frozen(T0):
        staff_totp.enrol(enrolled, code_at(enrolled, T0), now=T0)
    for account in (admin, enrolled):
        other = client.application.test_client()
        password_step(other, account.email)
        response = other.get(path)
        assert response.status_code == 302
        assert response.location == "/staff/login/code"


def test_admin_without_a_code_is_sent_to_set_up_and_nowhere_else(client):
    make_staff(StaffRole.ADMIN)
    password_step(client, "admin@clinic.example")
    code_page = client.get("/staff/login/code")
    assert code_page.status_code == 303
    assert code_page.location == "/staff/totp/setup"
    setup = client.get("/staff/totp/setup")
    assert setup.status_code == 200
    secret = secret_on(setup)
    assert len(secret) == 32
    assert "otpauth://totp/" in setup.text
    assert f"secret={secret}" in setup.text
    # No QR image from anywhere: the key is text.
    assert "<img" not in setup.text
    assert client.get("/reception/admin/").status_code == 302


def test_setup_shows_the_same_key_until_it_is_confirmed(client):
    make_staff(StaffRole.ADMIN)
    password_step(client, "admin@clinic.example")
    first = secret_on(client.get("/staff/totp/setup"))
    # The sign-in lapsed meanwhile: signing in again shows the key already in the app.
    other = client.application.test_client()
    password_step(other, "admin@clinic.example")
    assert secret_on(other.get("/staff/totp/setup")) == first


def test_a_wrong_first_code_does_not_enrol_or_sign_in(client):
    admin = make_staff(StaffRole.ADMIN)
    password_step(client, admin.email)
    secret = secret_on(client.get("/staff/totp/setup"))
    wrong = str((int(totp.code_for_step(secret, totp.time_step(clock.now()))) + 1) % 10**6)
    response = client.post("/staff/totp/setup", data={"code": wrong.zfill(6)})
    assert response.status_code == 200
    assert staff_totp.WRONG_CODE in response.text
    db.session.refresh(admin)
    assert not admin.totp_enrolled
    assert not is_signed_in(client)
    assert "staff.totp_failed" in actions()


def test_confirming_the_first_code_enrols_and_signs_the_admin_in(client):
    admin = make_staff(StaffRole.ADMIN)
    with clock.frozen(T0):
        password_step(client, admin.email)
        secret = secret_on(client.get("/staff/totp/setup"))
        response = client.post(
            "/staff/totp/setup", data={"code": totp.code_for_step(secret, totp.time_step(T0))}
        )
        assert response.status_code == 303
        assert response.location == "/reception/"
        assert is_signed_in(client)
    db.session.refresh(admin)
    assert admin.totp_enrolled
    assert admin.totp_last_step == totp.time_step(T0)
    assert actions()[-2:] == ["staff.totp_enrolled", "staff.login"]


def test_enrolled_admin_signs_in_with_password_and_code(client):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        assert password_step(client, admin.email).location == "/staff/login/code"
        assert client.get("/reception/").location == "/staff/login/code"
        page = client.get("/staff/login/code")
        assert page.status_code == 200
        assert 'autocomplete="one-time-code"' in page.text
        response = client.post("/staff/login/code", data={"code": code_at(admin, moment)})
        assert response.status_code == 303
        assert response.location == "/reception/"
        assert is_signed_in(client)


def test_the_code_step_keeps_where_the_person_was_going(client):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        client.post(
            "/staff/login",
            data={"email": admin.email, "password": PASSWORD, "next": "/reception/admin/"},
        )
        response = client.post("/staff/login/code", data={"code": code_at(admin, moment)})
        assert response.location == "/reception/admin/"


def test_wrong_code_is_refused_and_audited_without_the_code(client):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        password_step(client, admin.email)
        right = code_at(admin, moment)
        wrong = str((int(right) + 1) % 10**6).zfill(6)
        for typed in (wrong, "12345", "abcdef", "1234567", ""):
            response = client.post("/staff/login/code", data={"code": typed})
            assert response.status_code == 200, typed
        assert not is_signed_in(client)
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.totp_failed")
    ).all()
    assert failed
    assert wrong not in repr([e.details for e in failed])


# ---- single use and the time window ---------------------------------------------------------


def test_a_code_works_only_once(client):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        code = code_at(admin, moment)
        password_step(client, admin.email)
        assert client.post("/staff/login/code", data={"code": code}).status_code == 303
        client.post("/staff/logout")
        password_step(client, admin.email)
        replay = client.post("/staff/login/code", data={"code": code})
        assert replay.status_code == 200
        assert staff_totp.WRONG_CODE in replay.text
        assert not is_signed_in(client)


def test_an_older_code_is_refused_once_a_newer_one_was_used(client):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        password_step(client, admin.email)
        assert (
            client.post("/staff/login/code", data={"code": code_at(admin, moment)}).status_code
            == 303
        )
        client.post("/staff/logout")
        password_step(client, admin.email)
        older = code_at(admin, moment, offset=-1)  # inside the window, but before the used one
        assert client.post("/staff/login/code", data={"code": older}).status_code == 200
        newer = code_at(admin, moment, offset=1)
        assert client.post("/staff/login/code", data={"code": newer}).status_code == 303


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_codes_one_step_either_side_are_accepted(client, offset, accepted):
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=10)
    with clock.frozen(moment):
        password_step(client, admin.email)
        response = client.post(
            "/staff/login/code", data={"code": code_at(admin, moment, offset=offset)}
        )
        assert (response.status_code == 303) is accepted


def test_check_code_takes_a_step_once_even_when_two_requests_race(app):
    desk = make_staff(StaffRole.RECEPTION)
    staff_totp.enrolment_secret(desk)
    staff_totp.enrol(desk, code_at(desk, T0), now=T0)
    moment = T0 + timedelta(minutes=1)
    code = code_at(desk, moment)
    # The second request read the row before the first one stored its step.
    stale_step = desk.totp_last_step
    assert staff_totp.check_code(desk, code, now=moment)
    set_committed_value(desk, "totp_last_step", stale_step)  # what the racer still believes
    assert not staff_totp.check_code(desk, code, now=moment)


# ---- not skippable --------------------------------------------------------------------------


def test_code_page_without_a_pending_sign_in_goes_to_the_login_page(client):
    for path in ("/staff/login/code", "/staff/totp/setup"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.location == "/staff/login"
        assert client.post(path, data={"code": "123456"}).location == "/staff/login"


def test_a_pending_sign_in_lapses_after_five_minutes(client):
    admin = enrolled_admin(client)
    with clock.frozen(T0 + timedelta(minutes=10)):
        password_step(client, admin.email)
    later = T0 + timedelta(minutes=16)
    with clock.frozen(later):
        response = client.post("/staff/login/code", data={"code": code_at(admin, later)})
        assert response.status_code == 303
        assert response.location == "/staff/login"
        assert not is_signed_in(client)


def test_a_pending_sign_in_cannot_be_forged_into_a_finished_one(client):
    admin = enrolled_admin(client)
    with clock.frozen(T0 + timedelta(minutes=5)):
        password_step(client, admin.email)
        with client.session_transaction() as stored:
            stored["staff_pending_login"]["done"] = ["password"]  # unchanged: the real state
            stored["_user_id"] = str(admin.id)  # a forged sign-in without the session keys
        assert not is_signed_in(client)


def test_a_signed_in_admin_without_a_code_can_only_reach_the_setup_page(client):
    # A reception account (no code) signed in, then made admin: its session stays, but
    # every staff page now sends it to set up a code first.
    desk = make_staff(StaffRole.RECEPTION, email="desk@clinic.example")
    assert sign_in_fully(client, desk.email).status_code == 303
    assert is_signed_in(client)
    db.session.execute(
        text("UPDATE staff_users SET role = 'admin' WHERE id = :id"), {"id": desk.id}
    )
    db.session.commit()
    for path in ("/reception/", "/reception/admin/", "/reception/holds"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location == "/staff/totp/setup"
    setup = client.get("/staff/totp/setup")
    assert setup.status_code == 200
    code = next_code(desk, secret_on(setup))
    assert client.post("/staff/totp/setup", data={"code": code}).status_code == 303
    assert client.get("/reception/admin/").status_code == 200


# ---- other staff: optional -------------------------------------------------------------------


def test_reception_without_a_code_signs_in_with_the_password_alone(client):
    desk = make_staff(StaffRole.RECEPTION, email="desk@clinic.example")
    response = password_step(client, desk.email)
    assert response.location == "/reception/"
    assert is_signed_in(client)


def test_staff_who_enrol_need_a_code_from_then_on(client):
    desk = make_staff(StaffRole.RECEPTION, email="desk@clinic.example")
    with clock.frozen(T0):
        password_step(client, desk.email)
        setup = client.get("/staff/totp/setup")
        assert setup.status_code == 200
        secret = secret_on(setup)
        done = client.post("/staff/totp/setup", data={"code": next_code(desk, secret)})
        assert done.status_code == 303
        assert is_signed_in(client)
        # Enrolled: the page no longer shows the key.
        again = client.get("/staff/totp/setup")
        assert "Two-step sign-in is on" in again.text
        assert secret not in again.text
        client.post("/staff/logout")
    with clock.frozen(T0 + timedelta(minutes=2)):
        assert password_step(client, desk.email).location == "/staff/login/code"
        assert not is_signed_in(client)
        ok = client.post("/staff/login/code", data={"code": next_code(desk)})
        assert ok.status_code == 303
        assert is_signed_in(client)


def test_the_secret_is_encrypted_at_rest(client):
    admin = enrolled_admin(client)
    secret = admin.totp_secret
    raw = db.session.execute(
        text("SELECT totp_secret FROM staff_users WHERE id = :id"), {"id": admin.id}
    ).scalar_one()
    assert secret not in raw
    assert raw.startswith("gAAAAA")


# ---- reset ----------------------------------------------------------------------------------


def test_cli_reset_removes_the_code_and_ends_sessions(app, client):
    admin = enrolled_admin(client)
    with clock.frozen(T0 + timedelta(minutes=5)):
        assert sign_in_fully(client, admin.email).status_code == 303
        assert is_signed_in(client)
        result = app.test_cli_runner().invoke(
            args=["booking", "staff-totp-reset", "--email", admin.email]
        )
        assert result.exit_code == 0, result.output
        assert "removed" in result.output
        assert not is_signed_in(client)
        db.session.refresh(admin)
        assert admin.totp_secret is None
        assert not admin.totp_enrolled
        # The admin must set it up again at the next sign-in.
        password_step(client, admin.email)
        assert client.get("/staff/login/code").location == "/staff/totp/setup"
    assert "staff.totp_reset" in actions()


def test_cli_reset_of_an_unknown_account_fails(app):
    result = app.test_cli_runner().invoke(
        args=["booking", "staff-totp-reset", "--email", "nobody@clinic.example"]
    )
    assert result.exit_code != 0
    assert "no staff account" in result.output


# ---- guessing is rate limited ---------------------------------------------------------------


@pytest.fixture
def limited_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


def test_wrong_codes_are_rate_limited_per_account(limited_app):
    client = limited_app.test_client()
    admin = enrolled_admin(client)
    moment = T0 + timedelta(minutes=5)
    with clock.frozen(moment):
        password_step(client, admin.email)
        for _ in range(5):
            assert client.post("/staff/login/code", data={"code": "000000"}).status_code == 200
        blocked = client.post("/staff/login/code", data={"code": code_at(admin, moment)})
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        # A fresh sign-in from another browser shares the account's budget.
        other = limited_app.test_client()
        password_step(other, admin.email)
        assert other.post("/staff/login/code", data={"code": "000000"}).status_code == 429
        assert not is_signed_in(client)


# ---- CSRF -----------------------------------------------------------------------------------


def test_the_code_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        try:
            admin = make_staff(StaffRole.ADMIN)
            staff_totp.enrolment_secret(admin)
            staff_totp.enrol(admin, code_at(admin, T0), now=T0)
            client = app.test_client()
            moment = T0 + timedelta(minutes=5)
            with clock.frozen(moment):
                login_page = client.get("/staff/login")
                token = _csrf(login_page.text)
                client.post(
                    "/staff/login",
                    data={"email": admin.email, "password": PASSWORD, "csrf_token": token},
                )
                code = code_at(admin, moment)
                assert client.post("/staff/login/code", data={"code": code}).status_code == 400
                # Flask-WTF caches the token on ``g``, which this test's pushed app context
                # shares between requests; a real request starts without it.
                g.pop("csrf_token", None)
                token = _csrf(client.get("/staff/login/code").text)
                response = client.post(
                    "/staff/login/code", data={"code": code, "csrf_token": token}
                )
                assert response.status_code == 303
        finally:
            db.session.rollback()
            empty_database()


def _csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_actor_of_reset_is_recorded(app):
    desk = make_staff(StaffRole.RECEPTION)
    staff_totp.reset(desk, actor=Actor.staff(desk.id), now=T0)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.totp_reset")
    ).one()
    assert event.staff_user_id == desk.id


def test_setup_shows_a_qr_code_drawn_on_the_page(client):
    make_staff(StaffRole.ADMIN)
    password_step(client, "admin@clinic.example")
    page = client.get("/staff/totp/setup").text
    uri = html.unescape(re.search(r'<code class="totp-uri">([^<]+)</code>', page).group(1))
    assert uri.startswith("otpauth://totp/")
    # The code on the page is the set-up URI's, inline: no image request, no data: URL.
    assert totp.qr_svg(uri) in page
    assert "<img" not in page and "data:" not in page
