"""Severe pain (8/10): the time is held; the patient attests clearance and it is confirmed."""

from __future__ import annotations

import datetime as dt

from tests.e2e.conftest import manage_link, snap
from tests.e2e.flows import book, new_email


def test_severe_pain_is_held_then_confirmed_by_clearance(page, server):
    email = new_email("held.patient")
    book(page, name="Sam Severe", email=email, pain=8)
    assert page.get_by_role("heading", level=1).inner_text() == "Your time is reserved"
    page.get_by_text("It is not confirmed yet.").wait_for()
    snap(page, "held")
    ref = page.url.rsplit("/", 1)[-1]
    assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref)[0][0] == "held"

    link = manage_link(server.wait_for_email(email, "held"))
    page.goto(link)
    page.get_by_text("Reserved, waiting for your medical clearance").wait_for()
    page.get_by_role("link", name="Tell us what your clinician said").click()
    page.wait_for_url("**/clearance")

    # Sending it empty first: the errors are announced and focus lands on the summary.
    page.get_by_role("button", name="Send").click()
    page.locator("#error-summary").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"

    page.fill("#clinician_name", "Dr Patel, Riverside Surgery")
    page.get_by_label("GP", exact=True).check()
    page.fill("#consultation_date", dt.date.today().isoformat())
    page.get_by_label("Massage is fine for me").check()
    page.check("#truthful")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Your booking is now confirmed").wait_for()
    page.get_by_text("Confirmed", exact=True).wait_for()
    assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref)[0][0] == (
        "confirmed"
    )
    server.wait_for_email(email, "clearance")
