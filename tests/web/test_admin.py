"""Admin pages: services, therapists and hours, rooms, staff, settings, feeds, audit, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import (
    BookingSource,
    ClinicSetting,
    FeedToken,
    Room,
    Service,
    StaffRole,
    StaffUser,
    Therapist,
)
from booking.services.availability import slots_for
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.web.test_reception_patients import actions, client_for

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a Wednesday; London is on GMT
THURSDAY = date(2027, 3, 11)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def clinic(app):
    service = make_service(name="Back massage", durations=((60, 5000),))
    tess = make_therapist(services=[service], name="Tess Therapist")
    otto = make_therapist(services=[], name="Otto Other")
    room = make_room(name="Room A")
    db.session.commit()
    return {"service": service, "tess": tess, "otto": otto, "room": room}


@pytest.fixture
def admin(app):
    client, _ = client_for(app, StaffRole.ADMIN)
    return client


def starts(service, day=THURSDAY, now=NOW):
    db.session.expire_all()
    service = db.session.get(Service, service.id)
    return [s.start for s in slots_for(service, 60, day, day, now=now).slots]


# ---- access --------------------------------------------------------------------------------


ADMIN_PAGES = [
    "/reception/admin/",
    "/reception/admin/services",
    "/reception/admin/therapists",
    "/reception/admin/rooms",
    "/reception/admin/staff",
    "/reception/admin/settings",
    "/reception/admin/feeds",
    "/reception/admin/audit",
    "/reception/admin/export",
    "/reception/admin/export.csv?from=2027-03-01&to=2027-03-31",
]


def test_admin_pages_open_for_admins_and_refuse_reception(app, clinic, admin):
    reception, _ = client_for(app, StaffRole.RECEPTION)
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path
        assert reception.get(path).status_code == 403, path
    assert reception.post("/reception/admin/rooms", data={"name": "X"}).status_code == 403
    assert db.session.scalars(select(Room).where(Room.name == "X")).first() is None


def test_admin_index_links_every_area(admin):
    page = admin.get("/reception/admin/")
    for path in ADMIN_PAGES[1:9]:
        assert f'href="{path}"' in page.text, path


# ---- services --------------------------------------------------------------------------------


def test_edit_a_service_durations_and_therapists(clinic, admin):
    service, otto = clinic["service"], clinic["otto"]
    url = f"/reception/admin/services/{service.id}"
    response = admin.post(
        url,
        data={
            "name": "Back massage <deluxe>",
            "summary": "Gentle",
            "body": "Some *words*",
            "suits": "",
            "buffer_minutes": "20",
            "deep_pressure": "y",
            "active": "y",
            "therapists": [str(otto.id)],
        },
    )
    assert response.status_code == 303
    assert (
        admin.post(f"{url}/durations", data={"minutes": "90", "price": "72.50"}).status_code == 303
    )
    db.session.expire_all()
    service = db.session.get(Service, service.id)
    assert service.name == "Back massage <deluxe>"
    assert service.buffer_minutes == 20 and service.deep_pressure
    assert [t.id for t in service.therapists] == [otto.id]
    assert [(d.minutes, d.price_pence) for d in service.durations] == [(60, 5000), (90, 7250)]
    page = admin.get(url)
    assert "Back massage &lt;deluxe&gt;" in page.text
    assert "£72.50" in page.text

    sixty = service.durations[0]
    assert admin.post(f"{url}/durations/{sixty.id}/remove").status_code == 303
    db.session.expire_all()
    assert [d.minutes for d in db.session.get(Service, service.id).durations] == [90]
    names = [e.action for e in actions()]
    assert {"service.updated", "service.duration_added", "service.duration_removed"} <= set(names)


def test_a_service_is_offered_as_a_course_of_the_sessions_admins_set(clinic, admin):
    service = clinic["service"]
    url = f"/reception/admin/services/{service.id}"
    data = {"name": service.name, "summary": "Gentle", "buffer_minutes": "15", "active": "y"}
    assert admin.post(url, data=data | {"course_sessions": "6"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, service.id).course_sessions == 6
    page = admin.post(url, data=data | {"course_sessions": "1"})
    assert page.status_code == 400
    assert "Use 0 for no course, or 2 to 12 sessions." in page.text
    db.session.expire_all()
    assert db.session.get(Service, service.id).course_sessions == 6
    assert admin.post(url, data=data | {"course_sessions": "0"}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(Service, service.id).offers_course


def test_bad_duration_is_refused_next_to_the_field(clinic, admin):
    url = f"/reception/admin/services/{clinic['service'].id}/durations"
    page = admin.post(url, data={"minutes": "60", "price": "abc"})
    assert page.status_code == 400
    assert "Write the price in pounds" in page.text
    page = admin.post(url, data={"minutes": "60", "price": "50"})
    assert page.status_code == 400
    assert "already a 60-minute option" in page.text


def test_the_last_duration_of_a_bookable_service_stays(clinic, admin):
    service = clinic["service"]
    only = service.durations[0]
    admin.post(f"/reception/admin/services/{service.id}/durations/{only.id}/remove")
    assert "at least one duration" in admin.get(f"/reception/admin/services/{service.id}").text
    db.session.expire_all()
    assert len(db.session.get(Service, service.id).durations) == 1


def test_create_a_service(admin):
    response = admin.post(
        "/reception/admin/services",
        data={"name": "Sports massage", "summary": "Firm", "minutes": "45", "price": "£40"},
    )
    assert response.status_code == 303
    created = db.session.scalar(select(Service).where(Service.name == "Sports massage"))
    assert created.slug == "sports-massage"
    assert [(d.minutes, d.price_pence) for d in created.durations] == [(45, 4000)]


# ---- therapists and hours --------------------------------------------------------------------


def hours_data(**days):
    data = {f"day_{d}": "" for d in range(7)}
    data.update(days)
    return data


def test_changing_hours_changes_what_availability_offers(clinic, admin):
    service, tess = clinic["service"], clinic["tess"]
    two_pm = datetime(2027, 3, 11, 14, 0, tzinfo=UTC)
    assert two_pm in starts(service)
    response = admin.post(
        f"/reception/admin/therapists/{tess.id}/hours",
        data=hours_data(day_0="09:00-17:00", day_3="09:00-13:00", day_4="22:00-02:00"),
    )
    assert response.status_code == 303
    assert two_pm not in starts(service)
    assert datetime(2027, 3, 11, 11, 0, tzinfo=UTC) in starts(service)
    db.session.expire_all()
    rows = sorted(
        (h.weekday, h.start_minute, h.end_minute)
        for h in db.session.get(Therapist, tess.id).working_hours
    )
    assert rows == [(0, 540, 1020), (3, 540, 780), (4, 1320, 1560)]
    page = admin.get(f"/reception/admin/therapists/{tess.id}")
    assert 'value="22:00-02:00"' in page.text
    (event,) = actions("therapist.hours_changed")
    assert event.details["changed"]["Thursday"] == ["09:00-17:00", "09:00-13:00"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-17", "is not a range"),
        ("09:00-25:00", "is not a time"),
        ("09:00-09:00", "starts and ends at the same time"),
        ("09:00-13:00, 12:00-18:00", "overlap"),
        ("9:00-13:00", "is not a time"),
        ("09:00-13:00; 14:00-18:00", "is not a range"),
    ],
)
def test_bad_hours_are_refused_with_a_message_and_change_nothing(clinic, admin, text, message):
    tess = clinic["tess"]
    response = admin.post(
        f"/reception/admin/therapists/{tess.id}/hours", data=hours_data(day_2=text)
    )
    assert response.status_code == 400
    assert message in response.text.replace("&#34;", '"')
    assert 'id="day_2-error"' in response.text
    db.session.expire_all()
    assert len(db.session.get(Therapist, tess.id).working_hours) == 5


def test_edit_a_therapist_and_their_services(clinic, admin):
    otto, service = clinic["otto"], clinic["service"]
    response = admin.post(
        f"/reception/admin/therapists/{otto.id}",
        data={
            "name": "Otto <Other>",
            "title": "Senior",
            "bio": "",
            "active": "y",
            "services": [str(service.id)],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    otto = db.session.get(Therapist, otto.id)
    assert otto.name == "Otto <Other>"
    assert [s.id for s in otto.services] == [service.id]
    assert "Otto &lt;Other&gt;" in admin.get("/reception/admin/therapists").text
    empty_name = admin.post(f"/reception/admin/therapists/{otto.id}", data={"name": " "})
    assert empty_name.status_code == 400
    assert "Please tell us your name" in empty_name.text


# ---- rooms -----------------------------------------------------------------------------------


def test_rooms_add_rename_deactivate(clinic, admin):
    assert admin.post("/reception/admin/rooms", data={"name": "Room <B>"}).status_code == 303
    room = db.session.scalar(select(Room).where(Room.name == "Room <B>"))
    assert "Room &lt;B&gt;" in admin.get("/reception/admin/rooms").text
    assert (
        admin.post(
            f"/reception/admin/rooms/{room.id}/rename", data={f"room{room.id}-name": "Garden room"}
        ).status_code
        == 303
    )
    assert admin.post(f"/reception/admin/rooms/{room.id}/active").status_code == 303
    db.session.expire_all()
    room = db.session.get(Room, room.id)
    assert (room.name, room.active) == ("Garden room", False)
    assert admin.post("/reception/admin/rooms", data={"name": ""}).status_code == 400
    assert {"room.created", "room.renamed", "room.deactivated"} <= {e.action for e in actions()}


# ---- staff accounts --------------------------------------------------------------------------


def test_create_and_deactivate_staff_ends_their_session(app, clinic, admin):
    response = admin.post(
        "/reception/admin/staff",
        data={
            "name": "Tess",
            "email": "Tess@Clinic.example",
            "role": "therapist",
            "therapist": str(clinic["tess"].id),
            "password": "a long enough password",
        },
    )
    assert response.status_code == 303
    member = db.session.scalar(select(StaffUser).where(StaffUser.email == "tess@clinic.example"))
    assert member.therapist_id == clinic["tess"].id

    from tests.web.test_reception_patients import signed_in

    their_client = signed_in(app, member)
    assert their_client.get("/reception/patients").status_code == 200
    assert admin.post(f"/reception/admin/staff/{member.id}/deactivate").status_code == 303
    after = their_client.get("/reception/patients")
    assert after.status_code == 302
    assert after.location.startswith("/staff/login")
    assert "staff.deactivated" in {e.action for e in actions()}


def test_staff_form_errors_are_shown_next_to_fields(clinic, admin):
    page = admin.post(
        "/reception/admin/staff",
        data={
            "name": "T",
            "email": "t@clinic.example",
            "role": "therapist",
            "therapist": "",
            "password": "a long enough password",
        },
    )
    assert page.status_code == 400
    assert 'id="therapist-error"' in page.text
    short = admin.post(
        "/reception/admin/staff",
        data={"name": "R", "email": "r@clinic.example", "role": "reception", "password": "x"},
    )
    assert short.status_code == 400
    assert 'id="password-error"' in short.text


def test_reset_password_ends_sessions(app, admin):
    from tests.web.test_reception_patients import make_member, signed_in

    member = make_member(StaffRole.RECEPTION, email="desk@clinic.example")
    their_client = signed_in(app, member)
    response = admin.post(
        f"/reception/admin/staff/{member.id}/password", data={"password": "another long password"}
    )
    assert response.status_code == 303
    assert their_client.get("/reception/patients").status_code == 302


# ---- settings --------------------------------------------------------------------------------


def settings_data(app, **changes):
    from booking.services.clinic_settings import current_values

    data = {key.lower(): str(value) for key, value in current_values().items()}
    data.update({k.lower(): v for k, v in changes.items()})
    return data


def test_settings_change_takes_effect_on_the_next_request(app, clinic, admin):
    service = clinic["service"]
    # Now is 09:00 Wednesday; with 2 h notice 11:00 is the first start today.
    today = date(2027, 3, 10)
    assert datetime(2027, 3, 10, 11, 0, tzinfo=UTC) in starts(service, day=today)
    response = admin.post(
        "/reception/admin/settings", data=settings_data(app, BOOKING_MIN_NOTICE_MINUTES="360")
    )
    assert response.status_code == 303
    page = admin.get("/reception/admin/settings")  # the next request reads the saved value
    assert 'name="booking_min_notice_minutes" type="text" value="360"' in page.text
    assert app.config["BOOKING_MIN_NOTICE_MINUTES"] == 120  # the configured default, untouched
    offered = starts(service, day=today)
    assert datetime(2027, 3, 10, 11, 0, tzinfo=UTC) not in offered
    assert min(offered) >= datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    (event,) = actions("settings.changed")
    assert event.details == {"key": "BOOKING_MIN_NOTICE_MINUTES", "old": 120, "new": 360}
    # Another process (a fresh app on the same database) sees it on its first request.
    assert db.session.scalar(select(ClinicSetting.value)) == 360


def test_settings_back_to_default_removes_the_row(app, admin):
    from booking.services.clinic_settings import current_policy

    admin.post("/reception/admin/settings", data=settings_data(app, CLINIC_EMERGENCY_NUMBER="112"))
    assert admin.get("/reception/admin/").status_code == 200
    assert current_policy().emergency_number == "112"
    admin.post("/reception/admin/settings", data=settings_data(app, CLINIC_EMERGENCY_NUMBER="999"))
    admin.get("/reception/admin/")
    assert current_policy().emergency_number == "999"
    assert db.session.scalars(select(ClinicSetting)).all() == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("BOOKING_MIN_NOTICE_MINUTES", "-5", "from 0 to"),
        ("BOOKING_SLOT_MINUTES", "7", "Choose one of"),
        ("BOOKING_HORIZON_DAYS", "lots", "whole number"),
        ("SCREEN_HOLD_PAIN_SCORE", "12", "from 0 to 11"),
        ("CLINIC_URGENT_NUMBER", "<script>", "digits and spaces"),
    ],
)
def test_bad_settings_are_refused_next_to_the_field(app, admin, key, value, message):
    page = admin.post("/reception/admin/settings", data=settings_data(app, **{key: value}))
    assert page.status_code == 400
    assert message in page.text
    assert f'id="{key.lower()}-error"' in page.text
    assert db.session.scalars(select(ClinicSetting)).all() == []


def test_settings_page_shows_the_values_in_force(app, admin):
    page = admin.get("/reception/admin/settings")
    assert 'name="hold_reminder_before_expiry_hours" type="text" value="6"' in page.text
    assert 'name="booking_min_notice_minutes" type="text" value="120"' in page.text
    assert "None" not in page.text


def test_a_configured_value_is_the_default_when_nothing_is_saved(app, admin):
    app.config["BOOKING_MIN_NOTICE_MINUTES"] = 5
    page = admin.get("/reception/admin/settings")
    assert 'name="booking_min_notice_minutes" type="text" value="5"' in page.text


# ---- feeds -----------------------------------------------------------------------------------


def test_feed_url_is_shown_once_then_only_listed_and_revoke_works(app, clinic, admin):
    page = admin.post(
        "/reception/admin/feeds", data={"therapist": str(clinic["tess"].id), "label": "<phone>"}
    )
    assert page.status_code == 200
    match = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", page.text)
    assert match
    token = match.group(1)
    assert page.headers["Cache-Control"] == "no-store"
    assert app.test_client().get(f"/feeds/{token}.ics").status_code == 200
    listing = admin.get("/reception/admin/feeds")
    assert token not in listing.text
    assert "Tess Therapist" in listing.text and "&lt;phone&gt;" in listing.text
    row = db.session.scalar(select(FeedToken))
    assert admin.post(f"/reception/admin/feeds/{row.id}/revoke").status_code == 303
    assert app.test_client().get(f"/feeds/{token}.ics").status_code == 404
    assert {"feed_token.created", "feed_token.revoked"} <= {e.action for e in actions()}


def test_clinic_wide_feed(admin):
    page = admin.post("/reception/admin/feeds", data={"therapist": "", "label": ""})
    assert page.status_code == 200
    assert db.session.scalar(select(FeedToken)).therapist_id is None


# ---- audit log -------------------------------------------------------------------------------


def test_audit_log_filters(app, clinic, admin):
    booking = make_booking(
        starts_at=NOW + timedelta(days=1),
        service=clinic["service"],
        therapist=clinic["tess"],
        room=clinic["room"],
    )
    from booking.services.audit import Actor, record

    record("booking.cancelled", actor=Actor.system(), now=NOW - timedelta(days=3), booking=booking)
    record("booking.moved", actor=Actor.system(), now=NOW, booking=booking)
    record("room.created", actor=Actor.system(), now=NOW, room_id=1)
    db.session.commit()
    page = admin.get("/reception/admin/audit?action=booking.")
    assert "booking.cancelled" in page.text and "booking.moved" in page.text
    assert "room.created" not in page.text
    dated = admin.get(
        "/reception/admin/audit?action=booking.&date_from=2027-03-09&date_to=2027-03-10"
    )
    assert "booking.moved" in dated.text and "booking.cancelled" not in dated.text
    by_ref = admin.get(f"/reception/admin/audit?ref={booking.public_id}")
    assert "booking.moved" in by_ref.text and "room.created" not in by_ref.text
    admin_id = db.session.scalar(select(StaffUser.id).where(StaffUser.role == StaffRole.ADMIN))
    admin.post("/reception/admin/rooms", data={"name": "Audit room"})
    by_staff = admin.get(f"/reception/admin/audit?staff={admin_id}")
    assert "room.created" in by_staff.text and "booking.moved" not in by_staff.text
    bad = admin.get("/reception/admin/audit?date_from=2027-03-10&date_to=2027-03-01")
    assert bad.status_code == 400
    assert "before the start date" in bad.text


def test_audit_log_is_paginated(admin):
    from booking.services.audit import Actor, record

    for n in range(60):
        record("test.event", actor=Actor.system(), now=NOW - timedelta(minutes=n), n=n)
    db.session.commit()
    first = admin.get("/reception/admin/audit?action=test.")
    assert "60 events" in first.text and "page 1 of 2" in first.text
    assert "page=2" in first.text
    second = admin.get("/reception/admin/audit?action=test.&page=2")
    assert "page 2 of 2" in second.text
    assert admin.get("/reception/admin/audit?page=99").status_code == 200


# ---- export ----------------------------------------------------------------------------------


def test_csv_export_content_and_formula_escaping(clinic, admin):
    patient = make_patient(
        name='=HYPERLINK("http://evil")', email="x@example.org", phone="+447700900123"
    )
    make_booking(
        starts_at=datetime(2027, 3, 12, 10, 0, tzinfo=UTC),
        service=clinic["service"],
        therapist=clinic["tess"],
        room=clinic["room"],
        patient=patient,
        contact_name="@SUM(1)",
        source=BookingSource.RECEPTION,
        price_pence=5250,
    )
    make_booking(
        starts_at=datetime(2027, 4, 12, 10, 0, tzinfo=UTC),
        service=clinic["service"],
        therapist=clinic["tess"],
        room=clinic["room"],
    )
    db.session.commit()
    response = admin.get("/reception/admin/export.csv?from=2027-03-01&to=2027-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["start", "end", "service"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["start"] == "2027-03-12 10:00"
    assert row["price"] == "52.50"
    assert row["therapist"] == "Tess Therapist"
    assert row["source"] == "reception"
    assert row["patient_name"] == "'@SUM(1)"
    assert row["patient_phone"] == "'+447700900123"
    assert "pain" not in response.text.lower()
    (event,) = actions("bookings.exported")
    assert event.details["rows"] == 1


def test_export_refuses_bad_ranges_without_a_500(admin):
    assert admin.get("/reception/admin/export.csv").status_code == 400
    bad = admin.get("/reception/admin/export.csv?from=2027-03-31&to=2027-03-01")
    assert bad.status_code == 400
    assert "before the start date" in bad.text
    assert admin.get("/reception/admin/export.csv?from=yesterday&to=x").status_code == 400
    assert actions("bookings.exported") == []


def test_csv_escaping_covers_every_formula_start():
    from booking.web.reception.admin.export import safe_cell

    for dangerous in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert safe_cell(dangerous).startswith("'")
    assert safe_cell("Ann") == "Ann"
    assert safe_cell(None) == ""
