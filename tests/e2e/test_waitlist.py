"""The waitlist on a phone, end to end: join for the demo's full day from the picker,
reception cancels a booking that day, the worker emails the offer, one tap claims it and
the booking flow's confirmation arrives with its invitation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from booking.demo.full_day import full_day_for
from tests.e2e.conftest import ROOT, assert_accessible, manage_link, snap
from tests.e2e.flows import answer_health, choose_treatment, new_email
from tests.e2e.test_reception import sign_in

PAGES = ROOT / "docs" / "screenshots" / "pages"
LONDON = ZoneInfo("Europe/London")
OFFER_LINK = re.compile(r"https?://[^\s\"'<>]+/waitlist/[A-Za-z0-9_-]+/offers/[0-9a-f]{32}")


def local_day(value):
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:  # SQLite hands the stored UTC instant back naive
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(LONDON).date()


def shoot(page, name: str) -> None:
    """Save the whole page at a phone's and a desk's width (docs/screenshots/pages/)."""
    page.wait_for_load_state()
    PAGES.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(PAGES / f"waitlist-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_join_on_a_phone_get_the_freed_time_offered_and_claim_it(page, desktop_page, server):
    full_day = full_day_for(datetime.now(LONDON).date())
    email = new_email("wendy.waiting")

    # The picker, then "Nothing suits? Tell me if a time comes up".
    choose_treatment(page)
    answer_health(page)
    page.wait_for_url("**/book/time")
    page.get_by_role("link", name="Tell me if a time comes up").click()
    page.wait_for_url("**/waitlist/join**")
    page.fill("#first_day", full_day.isoformat())
    page.fill("#last_day", full_day.isoformat())
    page.fill("#name", "Wendy Waiting")
    page.fill("#email", email)
    page.fill("#phone", "07700 900456")
    page.check("#over_18")
    page.check("#agree_policy")
    assert_accessible(page)
    shoot(page, "join")
    page.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_url("**/waitlist/joined/**")
    assert "You're on the waitlist" in page.inner_text("h1")
    snap(page, "waitlist-joined")
    shoot(page, "joined")
    page.get_by_role("link", name="See your waitlist place").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your waitlist place"
    assert_accessible(page)
    shoot(page, "entry")
    page.get_by_role("link", name="Change dates or times").click()
    assert_accessible(page)
    shoot(page, "change")
    joined = server.wait_for_email(email, "waitlist_joined")
    assert "/waitlist/" in text_of(joined)

    # Reception cancels one of that day's bookings.
    candidates = server.sql(
        "SELECT b.public_id, b.starts_at FROM bookings b JOIN services s ON s.id = b.service_id"
        " WHERE s.slug = 'therapeutic-back-massage' AND b.duration_minutes = 60"
        " AND b.status = 'confirmed' ORDER BY b.starts_at"
    )
    ref = next(r for r, start in candidates if local_day(start) == full_day)
    sign_in(desktop_page)
    desktop_page.goto(f"/reception/bookings/{ref}")
    desktop_page.check("#confirm")
    desktop_page.get_by_role("button", name="Cancel the booking").click()
    desktop_page.wait_for_load_state()
    assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref)[0][0] == (
        "cancelled"
    )

    # The worker offers the freed time to the one waiting patient: no invitation yet.
    offer = server.wait_for_email(email, "waitlist_offer", timeout=30)
    assert "keeping it for you until" in text_of(offer)
    assert not [p for p in offer.walk() if p.get_content_type() == "text/calendar"]
    link = OFFER_LINK.search(text_of(offer)).group(0)

    # Opening the link twice claims nothing; one tap does.
    page.context.clear_cookies()
    page.goto(link)
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "A time has come up for you"
    assert_accessible(page)
    snap(page, "waitlist-offer")
    shoot(page, "offer")
    page.get_by_role("button", name="Take this time").click()
    page.wait_for_url("**/book/done/**")
    assert page.get_by_role("heading", level=1).inner_text() == "You're booked"
    shoot(page, "claimed-done")
    booked = server.wait_for_email(email, "booked")
    assert [p for p in booked.walk() if p.get_content_type() == "text/calendar"]
    rows = server.sql(
        "SELECT b.status FROM bookings b JOIN patients p ON p.id = b.patient_id"
        " WHERE p.email = :email",
        email=email,
    )
    assert rows == [("confirmed",)]

    # The link again: it says the time is theirs; the booking's page offers an earlier time.
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "You took this time"
    shoot(page, "offer-claimed")
    page.goto(manage_link(booked))
    page.get_by_role("link", name="I'd take an earlier time").click()
    page.wait_for_url("**/earlier")
    assert_accessible(page)
    shoot(page, "earlier")
