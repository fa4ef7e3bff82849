"""Export and pages: formula cells neutralised, token pages unindexed, POSTs answer 303,
overlong UTF-8 is a clear 400, never a 500."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask import redirect

from booking import clock
from booking.extensions import db
from booking.models import StaffRole
from booking.web.reception.admin.export import safe_cell
from tests.builders import make_booking, make_patient, make_room, make_service, make_therapist
from tests.conftest import DEFAULT_NOW
from tests.security import booking_with_token
from tests.web.test_reception_actions import signed_in

ROBOTS = "noindex, nofollow"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


# --- CSV ------------------------------------------------------------------------------------

FORMULAS = [
    "=1+1",
    ' =HYPERLINK("http://evil.example","x")',
    "\t=1+1",
    "  +1",
    "\u3000-1",  # an ideographic space first
    "\u00a0@SUM(A1)",
    "\uff1d1+1",  # fullwidth =
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
    "\ufe661+1",  # small =
    " \uff1dHYPERLINK(1)",
    "\rx",
    "\nx",
]


@pytest.mark.parametrize("value", FORMULAS, ids=[repr(v[:3]) for v in FORMULAS])
def test_every_cell_a_spreadsheet_would_evaluate_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ann", "O'Brien", "José", "1 + 1 = 2", "a=b", "", "Sam 🙂"])
def test_ordinary_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_the_export_neutralises_names_typed_with_spaces_and_fullwidth_forms(app):
    service = make_service(name="Back massage", durations=((60, 5000),))
    therapist = make_therapist(services=[service], name="Tess Therapist")
    room = make_room(name="Room A")
    for hour, name in enumerate([" =HYPERLINK(1)", "\uff1dcmd|x", "\uff20SUM(1)"]):
        make_booking(
            starts_at=datetime(2027, 3, 12, 9 + 2 * hour, 0, tzinfo=UTC),
            service=service,
            therapist=therapist,
            room=room,
            patient=make_patient(email=f"p{hour}@example.org"),
            contact_name=name,
        )
    db.session.commit()
    admin, _ = signed_in(app, StaffRole.ADMIN)
    response = admin.get("/reception/admin/export.csv?from=2027-03-01&to=2027-03-31")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    for row in rows:
        assert row["patient_name"].startswith("'"), row["patient_name"]


# --- noindex --------------------------------------------------------------------------------


def test_token_pages_tell_search_engines_to_keep_out(client, demo):
    _, token = booking_with_token()
    for path in (
        f"/manage/{token}",
        f"/manage/{token}/cancel",
        f"/manage/{token}/clearance",
        f"/manage/{token}/calendar.ics",
        f"/api/v1/bookings/{token}",
        "/manage/not-a-real-token",
        "/feeds/not-a-real-token.ics",
        "/book/",
        "/staff/login",
    ):
        response = client.get(path)
        assert response.headers.get("X-Robots-Tag") == ROBOTS, (path, response.status_code)


def test_public_pages_stay_indexable(client, demo):
    for path in ("/", "/services/"):
        response = client.get(path)
        assert "X-Robots-Tag" not in response.headers, path


# --- 303 after a POST -----------------------------------------------------------------------


def test_a_redirect_after_a_post_is_a_303_and_after_a_get_a_302(app):
    with app.test_request_context("/x", method="POST"):
        assert redirect("/y").status_code == 303
        assert redirect("/y", 307).status_code == 307  # kept when asked for on purpose
    with app.test_request_context("/x", method="GET"):
        assert redirect("/y").status_code == 302


def test_the_booking_flow_and_sign_out_answer_303(client, demo):
    response = client.post("/book/", data={"option": "therapeutic-back-massage:60"})
    assert response.status_code == 303
    assert client.post("/staff/logout").status_code == 303
    assert client.post("/reception/book").status_code == 303  # anonymous: to sign-in


# --- Overlong and broken UTF-8 --------------------------------------------------------------

OVERLONG = [
    b"\xc0\xaf",  # "/" in two bytes
    b"\xe0\x80\xaf",  # "/" in three
    b"\xf0\x80\x80\xaf",  # "/" in four
    b"\xc0\x80",  # NUL in two bytes
    b"\xed\xa0\x80",  # a UTF-16 surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xff\xfe",
]


@pytest.mark.parametrize("raw", OVERLONG, ids=[r.hex() for r in OVERLONG])
def test_overlong_utf8_in_json_is_a_400(client, demo, raw):
    body = b'{"name": "Jo' + raw + b'", "email": "jo@example.org"}'
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data()[:300]
    assert response.is_json


@pytest.mark.parametrize("raw", OVERLONG, ids=[r.hex() for r in OVERLONG])
def test_overlong_utf8_in_a_form_or_url_is_never_a_500(client, demo, raw):
    quoted = "".join(f"%{b:02X}" for b in raw)
    response = client.post(
        "/book/details",
        data=b"name=Jo" + quoted.encode() + b"&email=jo%40example.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    assert "Traceback" not in response.get_data(as_text=True)
    for path in (f"/manage/{quoted}", f"/feeds/{quoted}.ics", f"/services/{quoted}"):
        answer = client.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
    assert client.get(f"/api/v1/availability?service={quoted}").status_code == 400
