"""The reception waitlist page at a desk, on the demo's full day: who waits, the offer in
flight with its countdown, skipping it, offering the time again by hand, removing a patient
with a reason, and booking the next waiting caller by phone (the day ends full again)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from booking.demo.full_day import FULL_MINUTES, FULL_SERVICE, full_day_for
from tests.e2e.conftest import ROOT, assert_accessible
from tests.e2e.flows import FINE_ANSWERS, new_email
from tests.e2e.test_reception import sign_in
from tests.support.screens import fine

SCREENSHOT = ROOT / "docs" / "screenshots" / "reception-waitlist-1280.png"
LONDON = ZoneInfo("Europe/London")


def join(page, name: str, email: str, day) -> str:
    """Put a patient on the waitlist for ``day`` through the API; return the entry's id."""
    response = page.request.post(
        "/api/v1/waitlist",
        data={
            "service": FULL_SERVICE,
            "duration": FULL_MINUTES,
            "therapist": None,
            "first_day": day.isoformat(),
            "last_day": day.isoformat(),
            "name": name,
            "email": email,
            "phone": "07700 900456",
            "over_18": True,
            "screen": fine().to_data(),
            "screen_consent": True,
        },
    )
    assert response.status == 201, response.text()
    return response.json()["entry"]["public_id"]


def open_offer(server, entry: str):
    rows = server.sql(
        "SELECT o.source, o.starts_at FROM waitlist_offers o JOIN waitlist_entries e"
        " ON e.id = o.entry_id WHERE e.public_id = :entry AND o.state = 'open'",
        entry=entry,
    )
    return rows[0] if rows else None


def wait_for_offer(server, entry: str, timeout: float = 20.0):
    """The entry's open offer, once the worker (polling every second) has made it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := open_offer(server, entry)) is not None:
            return found
        time.sleep(0.25)
    raise AssertionError(f"no offer for {entry} within {timeout}s")


def instant(value) -> datetime:
    """A stored instant as an aware datetime (SQLite hands it back as naive UTC text)."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def row(page, name: str):
    return page.locator("li.waitlist-entry").filter(
        has=page.get_by_role("heading", name=re.compile(name))
    )


def test_reception_works_the_waitlist_of_a_full_day(desktop_page, server):
    page = desktop_page
    page.set_viewport_size({"width": 1280, "height": 800})
    day = full_day_for(datetime.now(LONDON).date())
    queue = f"/reception/waitlist?service={FULL_SERVICE}&date={day.isoformat()}"
    asha = join(page, "Asha Waitlist", new_email("asha.waitlist"), day)

    # A booking of that day is cancelled: the worker offers its time to the waiting patient.
    booked = server.sql(
        "SELECT b.public_id, b.starts_at FROM bookings b JOIN services s ON s.id = b.service_id"
        " WHERE s.slug = :slug AND b.duration_minutes = :minutes AND b.status = 'confirmed'"
        " ORDER BY b.starts_at DESC",
        slug=FULL_SERVICE,
        minutes=FULL_MINUTES,
    )
    ref = next(r for r, start in booked if instant(start).astimezone(LONDON).date() == day)
    sign_in(page)
    page.goto(f"/reception/bookings/{ref}")
    page.check("#confirm")
    page.get_by_role("button", name="Cancel the booking").click()
    page.wait_for_load_state()
    source, start = wait_for_offer(server, asha)
    assert source == "worker"
    label = instant(start).astimezone(LONDON)

    # Who waits, for what, since when, and the offer in flight with its countdown.
    page.goto(queue)
    asha_row = row(page, "Asha Waitlist")
    text = asha_row.inner_text()
    assert "Waiting since" in text and f"{FULL_MINUTES} min" in text
    assert re.search(rf"{label:%H:%M} with \w+", text), text
    assert re.search(r"\d+ min left", asha_row.locator(".waitlist-countdown").inner_text())
    assert "pain" not in page.locator("main").inner_text().lower()  # never the answers
    assert_accessible(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Skip: the time leaves Asha and is not offered to her again. Then reception offers her
    # a time by hand (she called back). The freed gap may hold another time that does not
    # overlap the one she let go: the worker may offer her that first, so skip it too.
    for _attempt in range(6):
        with page.expect_navigation():
            row(page, "Asha Waitlist").get_by_role("button", name=re.compile("Skip")).click()
        page.get_by_text("Skipped Asha Waitlist").wait_for()
        asha_row = row(page, "Asha Waitlist")
        if asha_row.get_by_role("button", name=re.compile("^Offer")).count() == 0:
            continue  # the worker was quicker: the page shows its offer in flight
        offered_by_hand = asha_row.locator("select option").first.inner_text()
        with page.expect_navigation():
            asha_row.get_by_role("button", name=re.compile("^Offer")).click()
        flash = page.locator("main [role=status]").first.inner_text()
        if flash.startswith("Offered"):
            break
        assert "already has an offer in flight" in flash, flash
    else:
        raise AssertionError("the worker kept offering Asha times she had let go")
    history = server.sql(
        "SELECT o.source, o.state, o.starts_at, o.offered_at FROM waitlist_offers o JOIN"
        " waitlist_entries e ON e.id = o.entry_id WHERE e.public_id = :e ORDER BY o.id",
        e=asha,
    )
    assert open_offer(server, asha)[0] == "reception", history
    text = row(page, "Asha Waitlist").inner_text()
    assert "(offered by reception)" in text and f"{offered_by_hand} with" in text
    assert_accessible(page)

    # Another patient joins behind her.
    bram_email = new_email("bram.waitlist")
    bram = join(page, "Bram Waitlist", bram_email, day)
    page.goto(queue)
    assert row(page, "Bram Waitlist").count() == 1

    # Removing Asha needs a real reason, kept in the audit log; her time passes to Bram.
    asha_row = row(page, "Asha Waitlist")
    asha_row.locator("summary").click()
    asha_row.get_by_label("Reason (kept in the audit log)").fill("x")
    asha_row.get_by_role("button", name="Remove", exact=True).click()
    page.get_by_text("Please write the reason").wait_for()
    assert row(page, "Asha Waitlist").count() == 1
    asha_row = row(page, "Asha Waitlist")
    asha_row.locator("summary").click()
    asha_row.get_by_label("Reason (kept in the audit log)").fill("Found a time at another clinic")
    asha_row.get_by_role("button", name="Remove", exact=True).click()
    page.get_by_text("Removed Asha Waitlist from the waitlist").wait_for()
    assert row(page, "Asha Waitlist").count() == 0
    # Audited (the details, reason included, are encrypted at rest like all audit details).
    assert server.sql("SELECT count(*) FROM audit_events WHERE action = 'waitlist.removed'")[0][0]
    assert open_offer(server, asha) is None
    kept = wait_for_offer(server, bram)[1]  # her time, or one she let go

    # Bram calls: reception books him by phone into the time kept for him.
    page.goto(queue)
    row(page, "Bram Waitlist").get_by_role("link", name=re.compile("Book by phone")).click()
    page.wait_for_url(re.compile(r"/reception/book\?"))
    page.get_by_text("Booking Bram Waitlist from the waitlist").wait_for()
    assert page.locator("#kept-start").is_checked()
    page.check("#over_18")
    page.check("#consent")
    for name, value in FINE_ANSWERS.items():
        page.check(f"#{name}-{value}")
    page.check("#pain_score-2")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r"/reception/bookings/[^/]+$"))
    rows = server.sql(
        "SELECT b.status, b.starts_at FROM bookings b JOIN patients p ON p.id = b.patient_id"
        " WHERE p.email = :email",
        email=bram_email,
    )
    assert rows == [("confirmed", kept)], rows
    ended = server.sql(
        "SELECT ended_at IS NOT NULL FROM waitlist_entries WHERE public_id IN (:a, :b)",
        a=asha,
        b=bram,
    )
    assert [bool(e) for (e,) in ended] == [True, True]
    page.goto(queue)
    assert row(page, "Bram Waitlist").count() == 0
