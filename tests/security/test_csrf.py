"""CSRF, generated from the URL map: every form route refuses a post without a token.

For an app with CSRF on, every rule accepting POST (but the JSON API, which uses no cookies)
is posted without a token by a stranger and by a signed-in admin: each answer is the
friendly "form has expired" 400 and no table changes. The same actions sent as GET get 405
unless the rule also shows a page. A new route is covered without touching this file.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import (
    Patient,
    Room,
    Service,
    ServiceDuration,
    SignInThrottle,
    StaffRole,
    StaffUser,
    Therapist,
)
from booking.services import feed_tokens, sign_in_throttle
from booking.services.audit import Actor
from tests.security import booking_with_token
from tests.support.auth import make_staff, sign_in_fully
from tests.support.database import DEFAULT_NOW

EXPIRED = "This form has expired"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def post_rules(app: Flask) -> list:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/api/")
        ),
        key=lambda rule: rule.rule,
    )


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def first_id(model) -> int:
    return db.session.scalar(select(model.id).order_by(model.id).limit(1)) or 1


@pytest.fixture
def world(app: Flask, demo):
    """Something real behind every argument, so a missing check would change a row."""
    booking, token = booking_with_token()
    admin = make_staff(StaffRole.ADMIN, email="admin@clinic.example")
    make_staff(StaffRole.RECEPTION, email="reception@clinic.example")
    feed, _ = feed_tokens.create(
        therapist_id=first_id(Therapist), label="Feed", actor=Actor.system(), now=DEFAULT_NOW
    )
    sign_in_throttle.record_failure("nobody@clinic.example", "192.0.2.1", now=DEFAULT_NOW)
    db.session.commit()
    return {
        "entry_id": db.session.scalar(select(SignInThrottle.id)),
        "ref": booking.public_id,
        "token": token,
        "patient_id": first_id(Patient),
        "staff_id": db.session.scalar(
            select(StaffUser.id).where(StaffUser.email == "reception@clinic.example")
        ),
        "service_id": first_id(Service),
        "duration_id": first_id(ServiceDuration),
        "therapist_id": first_id(Therapist),
        "room_id": first_id(Room),
        "token_id": feed.id,
        "block_id": 1,
        "message_id": 1,
        "follow_up_id": 1,
        "kind": "time_off",
        "admin_email": admin.email,
    }


def url_for_rule(rule, world: dict) -> str:
    values = {name: world.get(name, 1) for name in rule.arguments}
    missing = set(rule.arguments) - set(world)
    assert not missing, f"give {rule.rule} a real value for {missing} in world()"
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def csrf_app(make_app) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


def signed_in_as(app: Flask, csrf_app: Flask, email: str, page: str = "/reception/admin/"):
    """A client of the CSRF-protected app carrying a session signed in on the test app."""
    helper = app.test_client()
    assert sign_in_fully(helper, email).status_code == 303
    client = csrf_app.test_client()
    for cookie in helper._cookies.values():
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert client.get(page).status_code == 200, "the session did not carry over"
    return client


def assert_refused_without_change(client, rules, world) -> int:
    checked = 0
    for rule in rules:
        url = url_for_rule(rule, world)
        before = row_counts()
        response = client.post(url, data={"name": "Changed", "reason": "csrf"})
        assert response.status_code == 400, (url, response.status_code)
        assert EXPIRED in response.get_data(as_text=True), url
        assert row_counts() == before, url
        checked += 1
    return checked


def test_the_url_map_has_form_routes_to_check(app: Flask):
    rules = {rule.rule for rule in post_rules(app)}
    assert "/staff/login" in rules and "/manage/<token>/cancel" in rules
    assert "/reception/admin/staff" in rules
    assert not any(rule.startswith("/api/") for rule in rules)


def test_every_post_without_a_token_from_a_stranger_is_refused_and_changes_nothing(
    app: Flask, csrf_app: Flask, world
):
    rules = post_rules(csrf_app)
    assert assert_refused_without_change(csrf_app.test_client(), rules, world) == len(rules)


def test_every_post_without_a_token_from_a_signed_in_admin_is_refused_and_changes_nothing(
    app: Flask, csrf_app: Flask, world
):
    client = signed_in_as(app, csrf_app, world["admin_email"])
    rules = post_rules(csrf_app)
    assert assert_refused_without_change(client, rules, world) == len(rules)
    # Still signed in: the refusals did not sign the admin out or lock anything.
    assert client.get("/reception/admin/").status_code == 200


def test_every_post_without_a_token_from_reception_is_refused_and_changes_nothing(
    app: Flask, csrf_app: Flask, world
):
    client = signed_in_as(app, csrf_app, "reception@clinic.example", "/reception/")
    rules = post_rules(csrf_app)
    assert assert_refused_without_change(client, rules, world) == len(rules)


def test_post_only_actions_sent_as_get_are_405_and_change_nothing(
    app: Flask, csrf_app: Flask, world
):
    client = signed_in_as(app, csrf_app, world["admin_email"])
    # A path may have its page and its action as two rules (/manage/<token>/cancel).
    shown = {rule.rule for rule in csrf_app.url_map.iter_rules() if "GET" in rule.methods}
    post_only = [rule for rule in post_rules(csrf_app) if rule.rule not in shown]
    assert post_only, "expected some post-only action routes"
    for anonymous in (False, True):
        user = csrf_app.test_client() if anonymous else client
        for rule in post_only:
            url = url_for_rule(rule, world)
            before = row_counts()
            response = user.get(url, query_string={"name": "Changed"})
            assert response.status_code == 405, (url, response.status_code)
            assert "POST" in response.headers["Allow"], url
            assert row_counts() == before, url


def test_a_post_with_a_valid_token_gets_past_the_check(csrf_app: Flask, world):
    """The refusals above are the CSRF check, not something else answering 400."""
    import re

    client = csrf_app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/login",
        data={"csrf_token": token, "email": world["admin_email"], "password": "wrong"},
    )
    assert EXPIRED not in response.get_data(as_text=True)
