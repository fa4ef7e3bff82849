"""Capability tokens: every wrong token gets the same 404; one booking's token acts on it alone.

Tampered, truncated, random, revoked and the other kind's tokens are tried on every manage
route and the feed; the answers are compared with the request's reference taken out, so a
miss tells a stranger nothing (not even which kind of miss it was). A cancelled booking's
own token still opens its page but can no longer change it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    FollowUp,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from booking.services import clinician_links, feed_tokens, manage_links
from booking.services.audit import Actor
from booking.services.followup import sending as follow_up_sending
from booking.tokens import new_token
from tests.security import booking_with_token
from tests.support.database import DEFAULT_NOW
from tests.support.misses import without_reference

START = (DEFAULT_NOW + timedelta(days=5)).replace(hour=10).isoformat()
CLEARANCE = {
    "outcome": "cleared",
    "clinician_name": "Dr Who",
    "clinician_kind": "gp",
    "consultation_date": "2027-03-09",
    "truthful": "y",
}
CLINICIAN_ANSWER = {
    "clinician_name": "Dr Who",
    "clinician_kind": "gp",
    "registration": "1234567",
    "outcome": "cleared",
    "truthful": "y",
}
# (method, path template, form) for every route a manage or feed token opens.
ROUTES = [
    ("GET", "/manage/{}", None),
    ("GET", "/manage/{}/reschedule", None),
    ("POST", "/manage/{}/reschedule", {"start": START}),
    ("GET", "/manage/{}/reschedule/confirm", None),
    ("GET", "/manage/{}/cancel", None),
    ("POST", "/manage/{}/cancel", {}),
    ("GET", "/manage/{}/clearance", None),
    ("POST", "/manage/{}/clearance", CLEARANCE),
    ("GET", "/manage/{}/calendar.ics", None),
    ("GET", "/manage/{}/earlier", None),
    ("POST", "/manage/{}/earlier", {"first_day": "2027-03-11", "last_day": "2027-03-11"}),
    ("GET", "/feeds/{}.ics", None),
    ("GET", "/follow-up/{}", None),
    ("POST", "/follow-up/{}", {"pain_now": "3", "progress": "better"}),
    ("GET", "/manage/{}/course/cancel", None),
    ("POST", "/manage/{}/course/cancel", {}),
    ("GET", "/manage/{}/clinician", None),
    ("POST", "/manage/{}/clinician", {"name": "Dr Who", "email": "gp@example.org"}),
    ("GET", "/clinician/{}", None),
    ("POST", "/clinician/{}", CLINICIAN_ANSWER),
]
# Every route a waitlist entry's link opens; ``{ref}`` is the entry's own offer.
WAITLIST_ROUTES = [
    ("GET", "/waitlist/{}", None),
    ("GET", "/waitlist/{}/change", None),
    ("POST", "/waitlist/{}/change", {"first_day": "2027-03-11", "last_day": "2027-03-12"}),
    ("POST", "/waitlist/{}/leave", {}),
    ("GET", "/waitlist/{}/offers/{ref}", None),
    ("POST", "/waitlist/{}/offers/{ref}/claim", {"form_key": "k" * 24}),
    ("POST", "/waitlist/{}/offers/{ref}/decline", {}),
]
WAITLIST_IDS = [f"{method} {path}" for method, path, _ in WAITLIST_ROUTES]
IDS = [f"{method} {path}" for method, path, _ in ROUTES]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def tokens_route_map_matches(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if "token" in rule.arguments}


def test_the_routes_here_are_every_token_route_but_the_api(app):
    # A new token route must be added to ROUTES (the API has its own JSON misses).
    known = {
        path.replace("{}", "<token>").replace("{ref}", "<ref>")
        for _, path, _ in ROUTES + WAITLIST_ROUTES
    }
    pages = {rule for rule in tokens_route_map_matches(app) if not rule.startswith("/api/")}
    assert pages == known


def state(*, but_refused_links: bool = False) -> tuple:
    """What a miss must not change. A used or expired clinician's link is known, so its
    refusal is audited (``but_refused_links`` leaves those rows out of the count)."""
    db.session.rollback()
    audited = select(func.count(AuditEvent.id))
    if but_refused_links:
        audited = audited.where(AuditEvent.action != "clinician_link.refused")
    return (
        tuple(
            db.session.execute(
                select(Booking.id, Booking.status, Booking.starts_at).order_by(Booking.id)
            ).all()
        ),
        db.session.scalar(audited),
        db.session.scalar(select(func.count(Clearance.id))),
        db.session.scalar(select(func.count(OutboxMessage.id))),
    )


def send(client, method: str, path: str, token: str, form, ref: str = ""):
    url = path.format(token, ref=ref)
    if method == "GET":
        return client.get(url)
    return client.post(url, data=form)


def wrong_tokens(token: str, other_kind: str, revoked: str) -> dict[str, str]:
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    return {
        "tampered first character": flipped,
        "tampered last character": token[:-1] + ("x" if token[-1] != "x" else "y"),
        "truncated by one": token[:-1],
        "truncated to half": token[: len(token) // 2],
        "extended": token + "A",
        "random": new_token(),
        "upper-cased": token.upper() if token.upper() != token else token.lower(),
        "the other kind's token": other_kind,
        "revoked": revoked,
        "percent-encoded junk": "%00" + token,
    }


@pytest.fixture
def tokens(app):
    """A live booking (its manage token), a live feed token, and revoked ones of each."""
    booking, manage_token = booking_with_token()
    old, revoked_manage = booking_with_token(email="old@example.org")
    manage_links.revoke_all(old, now=DEFAULT_NOW)
    _, feed_token = feed_tokens.create(
        therapist_id=None, label="Clinic", actor=Actor.system(), now=DEFAULT_NOW
    )
    old_feed, revoked_feed = feed_tokens.create(
        therapist_id=None, label="Old", actor=Actor.system(), now=DEFAULT_NOW
    )
    feed_tokens.revoke(old_feed, actor=Actor.system(), now=DEFAULT_NOW)
    # A follow-up's link, and one whose follow-up has expired (its "revoked").
    for done, expires in ((booking, DEFAULT_NOW + timedelta(days=7)), (old, DEFAULT_NOW)):
        db.session.add(FollowUp(booking_id=done.id, patient_id=done.patient_id, expires_at=expires))
    db.session.flush()
    follow_up = follow_up_sending.mint(booking.id, now=DEFAULT_NOW)
    expired_follow_up = follow_up_sending.mint(old.id, now=DEFAULT_NOW)
    db.session.commit()
    # A held booking's clinician link, and one already used (its "revoked").
    held, _ = booking_with_token(
        status=BookingStatus.HELD,
        email="held@example.org",
        hold_expires_at=DEFAULT_NOW + timedelta(days=1),
    )
    live, used = (
        clinician_links.send(
            held.id, name="Dr Who", email="gp@example.org", actor=Actor.patient(), now=DEFAULT_NOW
        )
        for _ in range(2)
    )
    clinician = clinician_links.mint(live.id, now=DEFAULT_NOW)
    used_clinician = clinician_links.mint(used.id, now=DEFAULT_NOW)
    used.used_at = DEFAULT_NOW
    db.session.commit()
    return {
        "clinician": clinician,
        "used_clinician": used_clinician,
        "follow_up": follow_up,
        "expired_follow_up": expired_follow_up,
        "booking": booking,
        "manage": manage_token,
        "revoked_manage": revoked_manage,
        "feed": feed_token,
        "revoked_feed": revoked_feed,
    }


@pytest.mark.parametrize(("method", "path", "form"), ROUTES, ids=IDS)
def test_every_wrong_token_gets_the_same_404_and_changes_nothing(
    client, tokens, method, path, form
):
    if path.startswith("/feeds/"):
        token, other, revoked = tokens["feed"], tokens["manage"], tokens["revoked_feed"]
    elif path.startswith("/follow-up/"):
        token, other, revoked = tokens["follow_up"], tokens["manage"], tokens["expired_follow_up"]
    elif path.startswith("/clinician/"):
        token, other, revoked = tokens["clinician"], tokens["manage"], tokens["used_clinician"]
    else:
        token, other, revoked = tokens["manage"], tokens["feed"], tokens["revoked_manage"]
    baseline = send(client, "GET", "/manage/{}", new_token(), None)
    assert baseline.status_code == 404
    links = path.startswith("/clinician/")
    before = state(but_refused_links=links)
    for kind, wrong in wrong_tokens(token, other, revoked).items():
        response = send(client, method, path, wrong, form)
        assert response.status_code == 404, (kind, response.status_code)
        assert without_reference(response) == without_reference(baseline), kind
        assert wrong not in response.get_data(as_text=True), kind
    assert state(but_refused_links=links) == before
    # The right token does open the route (so the misses above are about the token).
    if method == "GET":
        assert send(client, "GET", path, token, None).status_code in (200, 409)


def test_a_booking_reference_is_not_a_token(client, tokens):
    ref = tokens["booking"].public_id
    baseline = client.get("/manage/" + new_token())
    for url in (f"/manage/{ref}", f"/manage/{ref}/cancel", f"/feeds/{ref}.ics"):
        response = client.get(url)
        assert response.status_code == 404
        assert without_reference(response) == without_reference(baseline)


def two_bookings():
    a, token_a = booking_with_token(email="a@example.org")
    b, token_b = booking_with_token(email="b@example.org")
    return a, token_a, b, token_b


def status_and_start(booking: Booking) -> tuple:
    db.session.rollback()
    row = db.session.get(Booking, booking.id)
    return row.status, row.starts_at, row.ics_sequence


def test_another_bookings_token_cancels_only_that_booking(client, app):
    a, _, b, token_b = two_bookings()
    a_before = status_and_start(a)
    # Naming booking A in the form, the query or a header does not steer the action.
    response = client.post(
        f"/manage/{token_b}/cancel?ref={a.public_id}&booking_id={a.id}",
        data={"ref": a.public_id, "booking_id": str(a.id), "token": "x"},
        headers={"X-Booking-Id": str(a.id)},
    )
    assert response.status_code in (302, 303)
    assert status_and_start(a) == a_before
    assert status_and_start(b)[0] is BookingStatus.CANCELLED


def test_another_bookings_token_reschedules_or_clears_only_that_booking(client, app):
    a, _, _, token_b = two_bookings()
    a.status = BookingStatus.HELD
    a.hold_expires_at = DEFAULT_NOW + timedelta(days=2)
    db.session.commit()
    a_before = status_and_start(a)
    client.post(
        f"/manage/{token_b}/reschedule?booking_id={a.id}",
        data={"start": START, "booking_id": str(a.id), "ref": a.public_id},
    )
    response = client.post(
        f"/manage/{token_b}/clearance?booking_id={a.id}",
        data={**CLEARANCE, "booking_id": str(a.id), "ref": a.public_id},
    )
    assert response.status_code == 409  # B is confirmed: nothing to clear
    assert status_and_start(a) == a_before
    assert db.session.scalar(select(func.count(Clearance.id))) == 0


@pytest.fixture
def cancelled(client, app):
    booking, token = booking_with_token(status=BookingStatus.CANCELLED)
    return booking, token


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/manage/{}/reschedule", {"start": START}),
        ("/manage/{}/cancel", {}),
        ("/manage/{}/clearance", CLEARANCE),
    ],
    ids=["reschedule", "cancel again", "clearance"],
)
def test_a_cancelled_bookings_token_cannot_change_it(client, cancelled, path, form):
    booking, token = cancelled
    before = state()
    response = client.post(path.format(token), data=form)
    assert response.status_code == 409, response.get_data(as_text=True)[:300]
    assert state() == before
    assert db.session.get(Booking, booking.id).status is BookingStatus.CANCELLED
    # Its page still opens and says so, with no form to change it.
    page = client.get(f"/manage/{token}")
    assert page.status_code == 200
    assert f'action="/manage/{token}/cancel"' not in page.get_data(as_text=True)


def test_a_cancelled_booking_held_for_clearance_cannot_be_cleared(client, app):
    booking, token = booking_with_token(status=BookingStatus.CANCELLED)
    booking.hold_expires_at = DEFAULT_NOW + timedelta(days=2)
    db.session.commit()
    before = state()
    for method in ("GET", "POST"):
        response = send(client, method, "/manage/{}/clearance", token, CLEARANCE)
        assert response.status_code == 409
    assert state() == before


def waitlist_state() -> tuple:
    db.session.rollback()
    return (
        *state(),
        tuple(
            db.session.execute(
                select(WaitlistEntry.id, WaitlistEntry.ended_at, WaitlistEntry.last_day)
            ).all()
        ),
        tuple(db.session.execute(select(WaitlistOffer.id, WaitlistOffer.state)).all()),
        db.session.scalar(select(func.count(WaitlistToken.id))),
    )


@pytest.fixture
def waitlist(app):
    """Two waiting entries, each with an open offer, their links, and an ended entry's link."""
    from booking.services.waitlist import entries
    from booking.services.waitlist.offering import offer_free_times
    from tests.support.builders import make_room, make_service, make_therapist
    from tests.support.screens import fine

    service = make_service(durations=((60, 5000),))
    make_therapist(services=[service], hours={3: [(600, 660)], 4: [(600, 660)]})
    make_room()
    db.session.commit()

    def join(n, day):
        return entries.join(
            entries.JoinRequest(
                service_id=service.id,
                minutes=60,
                first_day=day,
                last_day=day,
                name=f"Waiting {n}",
                email=f"waiting{n}@example.org",
                phone="+447700900456",
                screen=fine(),
            ),
            actor=Actor.patient(),
            now=DEFAULT_NOW,
        )

    thursday, friday = DEFAULT_NOW.date() + timedelta(days=1), DEFAULT_NOW.date() + timedelta(2)
    entry, token = join(1, thursday)
    other, other_token = join(2, friday)
    ended, ended_token = join(3, friday + timedelta(days=6))
    entries.leave(ended.id, actor=Actor.patient(), now=DEFAULT_NOW)
    assert offer_free_times(now=DEFAULT_NOW) == 2
    _, manage_token = booking_with_token()
    refs = {
        o.entry_id: o.public_id
        for o in db.session.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id))
    }
    return {
        "token": token,
        "ref": refs[entry.id],
        "other_token": other_token,
        "other_ref": refs[other.id],
        "ended": ended_token,
        "manage": manage_token,
    }


@pytest.mark.parametrize(("method", "path", "form"), WAITLIST_ROUTES, ids=WAITLIST_IDS)
def test_every_wrong_waitlist_link_gets_the_same_404_and_changes_nothing(
    client, waitlist, method, path, form
):
    token, ref = waitlist["token"], waitlist["ref"]
    baseline = send(client, "GET", "/manage/{}", new_token(), None)
    before = waitlist_state()
    misses = {
        **wrong_tokens(token, waitlist["manage"], waitlist["ended"]),
        # The right link with another entry's offer, and another entry's link with this one.
        "another entry's offer": (token, waitlist["other_ref"]),
        "another entry's link": (waitlist["other_token"], ref),
        "an unknown offer": (token, "0" * 32),
    }
    for kind, wrong in misses.items():
        wrong_token, wrong_ref = wrong if isinstance(wrong, tuple) else (wrong, ref)
        if "{ref}" not in path and isinstance(wrong, tuple):
            continue
        response = send(client, method, path, wrong_token, form, ref=wrong_ref)
        assert response.status_code == 404, (kind, response.status_code)
        assert without_reference(response) == without_reference(baseline), kind
        assert wrong_token not in response.get_data(as_text=True), kind
    assert waitlist_state() == before
    if method == "GET":
        assert send(client, "GET", path, token, None, ref=ref).status_code == 200


def test_a_waitlist_get_never_claims_declines_or_leaves(client, waitlist):
    before = waitlist_state()
    for path in ("/waitlist/{}", "/waitlist/{}/offers/{ref}", "/waitlist/{}/change"):
        for _ in range(3):
            assert (
                send(client, "GET", path, waitlist["token"], None, waitlist["ref"]).status_code
                == 200
            )
    for path in ("/waitlist/{}/offers/{ref}/claim", "/waitlist/{}/offers/{ref}/decline"):
        assert (
            send(client, "GET", path, waitlist["token"], None, waitlist["ref"]).status_code == 405
        )
    assert waitlist_state() == before
