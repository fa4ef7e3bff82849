"""Staff pages are closed by default: every route is generated from the URL map.

A route added to the reception or admin blueprint later is covered here without editing
this file: anonymous visitors go to the login page and the wrong roles get 403.
"""

import re

import pytest
from flask import Blueprint, Flask

from booking.extensions import db
from booking.models import StaffRole
from booking.services import staff as staff_service
from booking.services.audit import Actor
from booking.web.reception_guard import guard_blueprint, requires_role
from tests.support.auth import sign_in_fully
from tests.support.database import DEFAULT_NOW, empty_database

PASSWORD = "correct horse battery"
ALL_STAFF = {StaffRole.ADMIN, StaffRole.RECEPTION, StaffRole.THERAPIST}
# Who each staff blueprint lets in. A new staff blueprint must be added here on purpose.
ALLOWED = {"reception": ALL_STAFF, "admin": {StaffRole.ADMIN}}
# Sample values for URL converters, so rules with arguments reach the guard.
SAMPLES = {"int": "1", "default": "sample", "string": "sample", "path": "sample", "uuid": "0" * 32}


def staff_rules(app: Flask):
    """Every rule served under /reception or by a staff blueprint."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/reception") or rule.endpoint.split(".")[0] in ALLOWED
    ]
    assert rules, "no staff routes found"
    return sorted(rules, key=lambda r: r.rule)


def concrete_path(rule) -> str:
    def sample(match):
        converter = match.group(1) or "default"
        assert converter in SAMPLES, f"add a sample value for <{converter}:...> ({rule.rule})"
        return SAMPLES[converter]

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", sample, rule.rule)


def requests_for(app: Flask):
    for rule in staff_rules(app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, concrete_path(rule)


def make_staff(role: StaffRole, therapist_id=None):
    return staff_service.create_staff(
        email=f"{role.value}@clinic.example",
        name=f"{role.value.title()} Person",
        role=role,
        password=PASSWORD,
        therapist_id=therapist_id,
        actor=Actor.system(),
        now=DEFAULT_NOW,
    )


def signed_in_client(app: Flask, role: StaffRole):
    if role is StaffRole.THERAPIST:
        from tests.support.builders import make_therapist

        make_staff(role, therapist_id=make_therapist().id)
    else:
        make_staff(role)
    client = app.test_client()
    sign_in_fully(client, f"{role.value}@clinic.example", PASSWORD)
    return client


def assert_sent_to_login(response, path):
    # 302 after a GET, 303 after a POST (a redirect never re-posts).
    assert response.status_code in (302, 303), path
    assert response.location.startswith("/staff/login?next="), response.location


def check_every_staff_route(app: Flask):
    """Anonymous -> login; wrong role -> 403; right role -> neither."""
    anonymous = app.test_client()
    for _rule, method, path in requests_for(app):
        assert_sent_to_login(anonymous.open(path, method=method), f"{method} {path}")
    clients = {role: signed_in_client(app, role) for role in StaffRole}
    for rule, method, path in requests_for(app):
        blueprint = rule.endpoint.split(".")[0]
        assert blueprint in ALLOWED, f"{rule.rule} is served by unguarded {blueprint!r}"
        # A view may narrow its blueprint's roles with requires_role (which records them).
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", ALLOWED[blueprint])
        for role, client in clients.items():
            response = client.open(path, method=method)
            if role in allowed:
                to_login = (response.location or "").startswith("/staff/login")
                assert response.status_code != 403 and not to_login, f"{role} {method} {path}"
            else:
                assert response.status_code == 403, f"{role} {method} {path}"


@pytest.fixture
def fresh_app(make_app):
    """An app that has not served a request yet, so routes can still be added to it."""
    app = make_app()
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


def test_every_staff_route_is_guarded(fresh_app):
    check_every_staff_route(fresh_app)


def test_a_route_added_later_is_closed_until_opened(fresh_app):
    # Added the way a later engineer would, under the reception blueprint's name, with no
    # decorator of its own: the blueprint's before_request guard still applies.
    fresh_app.add_url_rule(
        "/reception/added-later/<int:booking_id>",
        endpoint="reception.added_later",
        view_func=lambda booking_id: f"secret {booking_id}",
        methods=["GET", "POST"],
    )
    fresh_app.add_url_rule(
        "/reception/admin/added-later",
        endpoint="admin.added_later",
        view_func=lambda: "admin secret",
    )
    paths = {path for _rule, _method, path in requests_for(fresh_app)}
    assert {"/reception/added-later/1", "/reception/admin/added-later"} <= paths
    check_every_staff_route(fresh_app)
    anonymous = fresh_app.test_client()
    assert "secret" not in anonymous.get("/reception/added-later/1").text


def test_anonymous_redirect_keeps_the_path_and_query(client):
    response = client.get("/reception/admin/?tab=rooms")
    assert response.status_code == 302
    assert response.location == "/staff/login?next=/reception/admin/?tab%3Drooms"


def test_admin_pages_refuse_reception_and_therapists(app):
    for role in (StaffRole.RECEPTION, StaffRole.THERAPIST):
        assert signed_in_client(app, role).get("/reception/admin/").status_code == 403
    assert signed_in_client(app, StaffRole.ADMIN).get("/reception/admin/").status_code == 200


def test_reception_home_says_who_is_signed_in_and_offers_sign_out(app):
    page = signed_in_client(app, StaffRole.RECEPTION).get("/reception/")
    assert page.status_code == 200
    assert "Reception Person" in page.text
    assert 'action="/staff/logout"' in page.text
    assert 'method="post"' in page.text


def test_requires_role_narrows_one_view(fresh_app):
    demo = Blueprint("demo_guarded", __name__, url_prefix="/demo-guarded")
    guard_blueprint(demo, roles=ALL_STAFF)

    @demo.get("/open")
    def open_to_all():
        return "open"

    @demo.get("/admins")
    @requires_role(StaffRole.ADMIN)
    def admins_only():
        return "admins"

    fresh_app.register_blueprint(demo)
    reception = signed_in_client(fresh_app, StaffRole.RECEPTION)
    admin = signed_in_client(fresh_app, StaffRole.ADMIN)
    assert reception.get("/demo-guarded/open").status_code == 200
    assert reception.get("/demo-guarded/admins").status_code == 403
    assert admin.get("/demo-guarded/admins").text == "admins"
    assert_sent_to_login(fresh_app.test_client().get("/demo-guarded/admins"), "admins")


def test_guard_needs_at_least_one_role():
    with pytest.raises(ValueError, match="at least one role"):
        guard_blueprint(Blueprint("empty_guard", __name__), roles=())
