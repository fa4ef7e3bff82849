"""Staff sign-in and sign-out: answers, sessions, timeouts, redirects, CSRF, rate limits."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.auth import sessions
from booking.extensions import db
from booking.models import AuditEvent, StaffRole
from booking.services import staff as staff_service
from booking.services.audit import Actor
from tests.support.database import DEFAULT_NOW, empty_database

PASSWORD = "correct horse battery"
REFUSED = "Email or password is incorrect."


def make_staff(email="desk@clinic.example", role=StaffRole.RECEPTION, **fields):
    return staff_service.create_staff(
        email=email,
        name=fields.pop("name", "Dee Desk"),
        role=role,
        password=fields.pop("password", PASSWORD),
        actor=Actor.system(),
        now=DEFAULT_NOW,
        **fields,
    )


def sign_in(client, email="desk@clinic.example", password=PASSWORD, **extra):
    return client.post("/staff/login", data={"email": email, "password": password, **extra})


def sign_out(client):
    return client.post("/staff/logout")


def is_signed_in(client) -> bool:
    response = client.get("/reception/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.location.startswith("/staff/login")
    return False


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def desk(app):
    return make_staff()


# ---- signing in -----------------------------------------------------------------------------


def test_login_page_shows_the_form(client):
    response = client.get("/staff/login")
    assert response.status_code == 200
    assert 'type="password"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_right_password_signs_in_and_goes_to_reception(client, desk):
    response = sign_in(client)
    assert response.status_code == 303
    assert response.location == "/reception/"
    page = client.get("/reception/")
    assert page.status_code == 200
    assert "Dee Desk" in page.text
    assert actions()[-1] == "staff.login"


def test_email_is_matched_whatever_its_case(client, desk):
    assert sign_in(client, email="  Desk@Clinic.EXAMPLE ").status_code == 303


def test_unknown_email_and_wrong_password_get_the_same_answer(client, desk):
    unknown = sign_in(client, email="nobody@clinic.example")
    wrong = sign_in(client, password="not the password")
    assert unknown.status_code == wrong.status_code == 200
    assert REFUSED in unknown.text
    assert REFUSED in wrong.text
    assert unknown.text.replace("nobody@clinic.example", "desk@clinic.example") == wrong.text
    assert not is_signed_in(client)


def test_deactivated_account_gets_the_same_answer(client, desk):
    staff_service.deactivate(desk, actor=Actor.system(), now=DEFAULT_NOW)
    response = sign_in(client)
    assert response.status_code == 200
    assert REFUSED in response.text
    assert not is_signed_in(client)


def test_failed_logins_are_audited_without_password_or_address(client, desk):
    sign_in(client, email="nobody@clinic.example", password="guess one two")
    sign_in(client, password="guess three four")
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    failed = [e for e in events if e.action == "staff.login_failed"]
    assert [e.details["reason"] for e in failed] == ["unknown_email", "wrong_password"]
    assert failed[1].details["staff_id"] == desk.id
    text = repr([e.details for e in failed])
    assert "guess" not in text
    assert "nobody" not in text
    assert len(failed[0].details["email_hash"]) == 16


def test_empty_form_is_refused_with_field_messages(client, desk):
    response = client.post("/staff/login", data={})
    assert response.status_code == 200
    assert "Please enter your email address." in response.text
    assert "Please enter your password." in response.text


def test_login_replaces_the_whole_session(client, desk):
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
        planted["csrf_token"] = "known-token"
    sign_in(client)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != "known-token"
        assert after["_user_id"] == str(desk.id)


def test_password_step_alone_cannot_finish_a_login_that_needs_another_step(
    client, desk, monkeypatch
):
    # How a second factor plugs in: a step the account owes keeps it signed out.
    step = sessions.LoginStep("second-factor", "public.home", lambda staff: True)
    monkeypatch.setattr(sessions, "LOGIN_STEPS", [step])
    response = sign_in(client)
    assert response.status_code == 303
    assert response.location == "/"
    assert not is_signed_in(client)
    assert "staff.login" not in actions()


# ---- signing out and ending sessions --------------------------------------------------------


def test_logout_is_post_only(client, desk):
    sign_in(client)
    assert client.get("/staff/logout").status_code == 405
    assert is_signed_in(client)


def test_logout_ends_the_session(client, desk):
    sign_in(client)
    response = sign_out(client)
    assert response.status_code == 303
    assert response.location == "/staff/login"
    assert not is_signed_in(client)
    assert actions()[-1] == "staff.logout"


def _replay(app, cookie_value):
    other = app.test_client()
    other.set_cookie("session", cookie_value, domain="clinic.test")
    return other


def test_session_cookie_replayed_after_logout_is_refused(app, client, desk):
    sign_in(client)
    saved = client.get_cookie("session", domain="clinic.test").value
    assert is_signed_in(_replay(app, saved))
    sign_out(client)
    assert not is_signed_in(_replay(app, saved))


def test_password_change_ends_existing_sessions(app, client, desk):
    sign_in(client)
    staff_service.change_password(
        desk, "a brand new password", actor=Actor.system(), now=DEFAULT_NOW
    )
    assert not is_signed_in(client)
    assert sign_in(client).status_code == 200
    assert sign_in(client, password="a brand new password").status_code == 303


def test_deactivation_ends_existing_sessions(client, desk):
    sign_in(client)
    staff_service.deactivate(desk, actor=Actor.system(), now=DEFAULT_NOW)
    assert not is_signed_in(client)


def test_refused_session_is_scrubbed_from_the_cookie(client, desk):
    sign_in(client)
    staff_service.deactivate(desk, actor=Actor.system(), now=DEFAULT_NOW)
    client.get("/reception/")
    with client.session_transaction() as stored:
        assert "_user_id" not in stored
        assert sessions.VERSION_KEY not in stored


# ---- timeouts -------------------------------------------------------------------------------


def test_idle_session_expires_after_thirty_minutes(client, desk):
    with clock.frozen(DEFAULT_NOW):
        sign_in(client)
    with clock.frozen(DEFAULT_NOW + timedelta(minutes=29)):
        assert is_signed_in(client)
    # Activity at 29 minutes restarts the idle clock.
    with clock.frozen(DEFAULT_NOW + timedelta(minutes=58)):
        assert is_signed_in(client)
    with clock.frozen(DEFAULT_NOW + timedelta(minutes=58 + 31)):
        assert not is_signed_in(client)


def test_busy_session_still_ends_after_twelve_hours(client, desk):
    with clock.frozen(DEFAULT_NOW):
        sign_in(client)
    moment = DEFAULT_NOW
    while moment < DEFAULT_NOW + timedelta(hours=11, minutes=50):
        moment += timedelta(minutes=20)
        with clock.frozen(moment):
            assert is_signed_in(client), moment
    with clock.frozen(DEFAULT_NOW + timedelta(hours=12, minutes=1)):
        assert not is_signed_in(client)


def test_timeouts_follow_the_settings(make_app):
    app = make_app(STAFF_IDLE_TIMEOUT_MINUTES=5)
    with app.app_context():
        try:
            make_staff()
            client = app.test_client()
            with clock.frozen(DEFAULT_NOW):
                sign_in(client)
            with clock.frozen(DEFAULT_NOW + timedelta(minutes=6)):
                assert not is_signed_in(client)
        finally:
            db.session.rollback()
            empty_database()


# ---- where to go after signing in -----------------------------------------------------------


def test_anonymous_visit_comes_back_to_the_page_after_login(client, desk):
    response = client.get("/reception/?day=2027-03-10")
    assert response.status_code == 302
    login_page = client.get(response.location)
    assert 'value="/reception/?day=2027-03-10"' in login_page.text
    done = sign_in(client, next="/reception/?day=2027-03-10")
    assert done.location == "/reception/?day=2027-03-10"


@pytest.mark.parametrize(
    "payload",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "\\\\evil.example",
        "/\t/evil.example",
    ],
)
def test_next_open_redirect_payloads_are_refused(client, desk, payload):
    response = sign_in(client, next=payload)
    assert response.status_code == 303
    assert response.location == "/reception/"


def test_login_page_does_not_carry_an_unsafe_next(client):
    page = client.get("/staff/login", query_string={"next": "//evil.example"})
    assert "evil.example" not in page.text


# ---- CSRF -----------------------------------------------------------------------------------


def csrf_token_on(page) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


def test_login_form_needs_its_csrf_token(csrf_app):
    make_staff()
    client = csrf_app.test_client()
    refused = sign_in(client)
    assert refused.status_code == 400
    assert not is_signed_in(client)
    token = csrf_token_on(client.get("/staff/login"))
    assert sign_in(client, csrf_token=token).status_code == 303
    assert is_signed_in(client)


def test_logout_needs_its_csrf_token(csrf_app):
    make_staff()
    client = csrf_app.test_client()
    assert sign_in(client, csrf_token=csrf_token_on(client.get("/staff/login"))).status_code == 303
    assert client.post("/staff/logout").status_code == 400
    assert is_signed_in(client)


# ---- rate limits ----------------------------------------------------------------------------


@pytest.fixture
def limited_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


def test_repeated_failures_on_one_account_are_rate_limited(limited_app):
    make_staff()
    client = limited_app.test_client()
    for _ in range(5):
        assert sign_in(client, password="wrong password!").status_code == 200
    blocked = sign_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.text
    assert 'class="site-header"' in blocked.text
    assert not is_signed_in(client)
    # The account budget follows the address however it is typed.
    assert sign_in(client, email="DESK@clinic.example").status_code == 429


def test_account_limit_does_not_touch_other_accounts(limited_app):
    make_staff()
    make_staff(email="other@clinic.example", name="Oona Other")
    client = limited_app.test_client()
    for _ in range(5):
        sign_in(client, password="wrong password!")
    assert sign_in(client, email="other@clinic.example").status_code == 303


def test_successful_logins_do_not_spend_the_account_budget(limited_app):
    make_staff()
    client = limited_app.test_client()
    for _ in range(6):
        assert sign_in(client).status_code == 303
        sign_out(client)


def test_one_address_trying_many_accounts_is_rate_limited(limited_app):
    client = limited_app.test_client()
    for n in range(10):
        assert sign_in(client, email=f"guess{n}@clinic.example").status_code == 200
    blocked = sign_in(client, email="guess-more@clinic.example")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    # Another address is not affected.
    other = limited_app.test_client()
    response = other.post(
        "/staff/login",
        data={"email": "x@clinic.example", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 200


def test_viewing_the_login_page_is_not_rate_limited(limited_app):
    client = limited_app.test_client()
    for _ in range(15):
        assert client.get("/staff/login").status_code == 200
