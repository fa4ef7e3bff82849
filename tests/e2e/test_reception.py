"""A receptionist signs in, sees the day, books a caller, moves a booking, works the holds."""

from __future__ import annotations

import re

from tests.e2e.conftest import STAFF_EMAIL, STAFF_PASSWORD, snap
from tests.e2e.flows import FINE_ANSWERS, book, new_email


def sign_in(page) -> None:
    page.goto("/staff/login")
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/reception/"))


def test_reception_day_book_move_and_holds(desktop_page, server):
    page = desktop_page
    # A patient online books a held time first, so the hold queue has work in it.
    held_email = new_email("queue.patient")
    book(page, name="Hana Held", email=held_email, pain=9)
    held_ref = page.url.rsplit("/", 1)[-1]
    page.context.clear_cookies()

    sign_in(page)
    page.goto("/reception/day")
    page.get_by_role("table").first.wait_for()
    assert page.get_by_role("heading", level=1).inner_text().endswith("today")

    # Book a caller on the phone, reading the pain screen out.
    caller = new_email("caller")
    page.goto("/reception/book")
    page.select_option("#option", index=1)
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("link", name="Later").first.click()
    page.locator("input[name=start]").first.check()
    page.fill("#name", "Cal Caller")
    page.fill("#email", caller)
    page.fill("#phone", "07700 900789")
    page.check("#over_18")
    page.check("#consent")
    for name, value in FINE_ANSWERS.items():
        page.check(f"#{name}-{value}")
    page.check("#pain_score-2")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r"/reception/bookings/[^/]+$"))
    ref = page.url.rsplit("/", 1)[-1]
    rows = server.sql(
        "SELECT b.status, b.source, b.starts_at FROM bookings b JOIN patients p"
        " ON p.id = b.patient_id WHERE b.public_id = :ref AND p.email = :email",
        ref=ref,
        email=caller,
    )
    assert len(rows) == 1 and rows[0][0] == "confirmed", rows
    before = rows[0][2]

    # Move it with the move form (the no-JavaScript path of drag and drop).
    page.goto(f"/reception/bookings/{ref}/move")
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("link", name="Later").first.click()
    page.locator("input[name=start]").nth(5).check()
    page.get_by_role("button", name="Move the booking").click()
    page.wait_for_url(re.compile(rf"/reception/bookings/{ref}$"))
    after = server.sql("SELECT starts_at FROM bookings WHERE public_id = :ref", ref=ref)[0][0]
    assert after != before

    # The hold queue shows the held patient; extend the hold from the booking page.
    page.goto("/reception/holds")
    page.get_by_text("Hana Held").first.wait_for()
    page.get_by_role("link", name=re.compile("Open booking.*Hana Held")).click()
    page.fill("form[action$='/extend'] #reason", "Waiting for the GP letter")
    page.get_by_role("button", name="Extend the hold").click()
    page.wait_for_load_state()
    extended = server.sql(
        "SELECT hold_extended FROM bookings WHERE public_id = :ref", ref=held_ref
    )[0][0]
    assert extended
    page.goto("/reception/day")  # the last page shown: the day with today's bookings
    snap(page, "reception-day")
