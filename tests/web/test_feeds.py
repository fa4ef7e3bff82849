"""Staff calendar feeds and the patient's “Add to calendar” download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from click.testing import CliRunner

from booking import clock
from booking.cli import booking_cli
from booking.extensions import db
from booking.models import AuditEvent, BookingStatus, FeedToken
from booking.services import manage_links
from booking.tokens import new_token, token_hash
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.support.misses import without_reference

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app):
    service = make_service(name="Deep tissue massage")
    anna = make_therapist(services=[service], name="Anna Field", slug="anna")
    ben = make_therapist(services=[service], name="Ben Okafor", slug="ben")
    room = make_room(name="Garden room")
    jane = make_patient(name="Jane Mary Doe")

    def add(therapist, hours_ahead, **fields):
        return make_booking(
            starts_at=NOW + timedelta(hours=hours_ahead),
            service=service,
            therapist=therapist,
            room=room,
            patient=fields.pop("patient", jane),
            contact_name=fields.pop("contact_name", "Jane Mary Doe"),
            updated_at=fields.pop("updated_at", NOW - timedelta(days=1)),
            patient_note="Quokkafeather",
            **fields,
        )

    bookings = {
        "anna_confirmed": add(anna, 24),
        "anna_held": add(
            anna,
            48,
            status=BookingStatus.HELD,
            hold_expires_at=NOW + timedelta(hours=30),
            updated_at=NOW - timedelta(hours=2),
        ),
        "anna_cancelled": add(anna, 72, status=BookingStatus.CANCELLED),
        "anna_expired": add(anna, 96, status=BookingStatus.EXPIRED),
        "anna_old": add(anna, -24 * 40),
        "ben_confirmed": add(ben, 26),
    }
    db.session.commit()
    return {"anna": anna, "ben": ben, "bookings": bookings}


def _token(therapist=None, **fields) -> str:
    token = new_token()
    db.session.add(
        FeedToken(
            therapist_id=therapist.id if therapist else None,
            token_hash=token_hash(token),
            created_at=NOW,
            **fields,
        )
    )
    db.session.commit()
    return token


def _get(client, url, **headers):
    with clock.frozen(NOW):
        return client.get(url, headers=headers)


def test_a_therapist_feed_shows_their_live_bookings_by_first_name_and_initial(client, clinic):
    response = _get(client, f"/feeds/{_token(clinic['anna'])}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    body = response.data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"METHOD" not in body
    assert b"Quokkafeather" not in body and b"Mary" not in body and b"Doe" not in body

    cal = vobject.readOne(body.decode("utf-8"))
    events = {e.uid.value: e for e in cal.vevent_list}
    shown = clinic["bookings"]
    assert set(events) == {
        f"{shown[name].public_id}@spineandease.example" for name in ("anna_confirmed", "anna_held")
    }
    confirmed = events[f"{shown['anna_confirmed'].public_id}@spineandease.example"]
    assert confirmed.summary.value == "Deep tissue massage \u2013 Jane D."
    assert confirmed.status.value == "CONFIRMED"
    assert confirmed.dtstart.value == NOW + timedelta(hours=24)
    held = events[f"{shown['anna_held'].public_id}@spineandease.example"]
    assert held.status.value == "TENTATIVE"


def test_the_clinic_feed_shows_every_therapist(client, clinic):
    body = _get(client, f"/feeds/{_token()}.ics").data
    cal = vobject.readOne(body.decode("utf-8"))
    assert len(cal.vevent_list) == 3
    assert b"Therapist: Ben Okafor" in body


def test_a_held_booking_past_its_expiry_leaves_the_feed(client, clinic):
    token = _token(clinic["anna"])
    with clock.frozen(NOW + timedelta(hours=31)):
        body = client.get(f"/feeds/{token}.ics").data
    assert body.count(b"BEGIN:VEVENT") == 1


@pytest.mark.parametrize("token", ["", "x" * 32, "not a token", "a" * 100])
def test_a_token_is_required(client, clinic, token):
    assert _get(client, f"/feeds/{token}.ics").status_code == 404


def test_a_revoked_token_gets_the_same_404(client, clinic):
    token = _token(clinic["anna"], revoked_at=NOW - timedelta(minutes=1))
    response = _get(client, f"/feeds/{token}.ics")
    miss = _get(client, f"/feeds/{new_token()}.ics")
    assert response.status_code == miss.status_code == 404
    assert without_reference(response) == without_reference(miss)


def test_conditional_get_answers_304_until_something_changes(client, clinic):
    url = f"/feeds/{_token(clinic['anna'])}.ics"
    first = _get(client, url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert modified == "Wed, 10 Mar 2027 07:00:00 GMT"  # the held booking's last change
    again = _get(client, url, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert _get(client, url, **{"If-Modified-Since": modified}).status_code == 304

    booking = clinic["bookings"]["anna_confirmed"]
    booking.starts_at -= timedelta(hours=1)
    booking.ends_at -= timedelta(hours=1)
    booking.busy_until -= timedelta(hours=1)
    booking.ics_sequence += 1
    booking.updated_at = NOW
    db.session.commit()
    changed = _get(client, url, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_feed_tokens_are_created_listed_and_revoked_from_the_cli(app, clinic):
    runner = CliRunner()
    with clock.frozen(NOW):
        created = runner.invoke(booking_cli, ["feed-token", "create", "--therapist", "anna"])
    assert created.exit_code == 0, created.output
    url = created.output.strip().splitlines()[-1]
    assert url.startswith("http://clinic.test/feeds/") and url.endswith(".ics")
    token = url.rsplit("/", 1)[-1].removesuffix(".ics")
    row = db.session.query(FeedToken).one()
    assert row.token_hash == token_hash(token)  # only the hash is stored
    client = app.test_client()
    assert _get(client, f"/feeds/{token}.ics").status_code == 200

    listed = runner.invoke(booking_cli, ["feed-token", "list"])
    assert "anna" in listed.output and token not in listed.output
    revoked = runner.invoke(booking_cli, ["feed-token", "revoke", "--id", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    assert _get(client, f"/feeds/{token}.ics").status_code == 404
    # Made and revoked from the shell, both are in the audit trail like the admin page's.
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.action.like("feed_token.%"))
    ).all()
    assert sorted(actions) == ["feed_token.created", "feed_token.revoked"]


def test_add_to_calendar_download_is_a_plain_calendar_file(client, clinic):
    booking = clinic["bookings"]["anna_confirmed"]
    token = manage_links.mint(booking, now=NOW)
    db.session.commit()
    response = _get(client, f"/manage/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    body = response.data
    assert b"METHOD" not in body
    event = vobject.readOne(body.decode("utf-8")).vevent
    assert event.uid.value == f"{booking.public_id}@spineandease.example"
    assert event.status.value == "CONFIRMED"
    assert b"Quokkafeather" not in body
    assert _get(client, f"/manage/{new_token()}/calendar.ics").status_code == 404


def test_calendar_links_for_the_manage_page(app, clinic):
    from booking.web.calendar_links import calendar_links

    booking = clinic["bookings"]["anna_held"]
    with app.test_request_context():
        links = calendar_links(booking, "t" * 32, now=NOW)
    assert links.ics_url == f"/manage/{'t' * 32}/calendar.ics"
    assert links.google_url.startswith("https://calendar.google.com/calendar/render?")
    assert links.outlook_url.startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    assert "Quokkafeather" not in links.google_url + links.outlook_url
