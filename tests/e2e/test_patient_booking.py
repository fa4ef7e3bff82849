"""A patient on a phone books, opens the emailed manage link, moves the booking, cancels it."""

from __future__ import annotations

import re

from tests.e2e.conftest import manage_link, snap
from tests.e2e.flows import answer_health, choose_treatment, fill_details, new_email


def test_book_reschedule_cancel_on_a_phone(page, server):
    email = new_email("phone.patient")
    choose_treatment(page)
    answer_health(page, pain=3)
    page.wait_for_url("**/book/time")
    # A week ahead, so the booking is well outside the 24-hour change cut-off.
    page.get_by_role("link", name=re.compile("Later")).click()
    snap(page, "booking-time")
    page.locator("button.time-button").first.click()
    fill_details(page, name="Pat Phone", email=email)
    page.get_by_role("button", name="Book now").click()
    page.wait_for_url("**/book/done/**")
    assert page.get_by_role("heading", level=1).inner_text() == "You're booked"
    ref = page.url.rsplit("/", 1)[-1]

    # The confirmation email, written by the worker, carries the manage link.
    link = manage_link(server.wait_for_email(email, "booked"))
    page.goto(link)
    page.get_by_text("Confirmed", exact=True).wait_for()
    before = page.locator("dl.terms dd").nth(2).inner_text()
    snap(page, "manage")

    page.get_by_role("link", name="Move to another time").click()
    page.wait_for_url("**/reschedule")
    page.get_by_role("link", name=re.compile("Later")).click()
    page.locator("button.time-button").last.click()
    # A move is confirmed before anything changes.
    page.wait_for_url("**/reschedule/confirm**")
    page.get_by_role("button", name="Yes, move my booking").click()
    page.wait_for_url(re.compile(r"/manage/[^/]+$"))
    page.get_by_text("Your booking has been moved").wait_for()
    after = page.locator("dl.terms dd").nth(2).inner_text()
    assert after != before
    server.wait_for_email(email, "rescheduled")

    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_role("button", name="Yes, cancel this booking").click()
    page.get_by_text("Your booking is cancelled").wait_for()
    page.get_by_text("Cancelled", exact=True).wait_for()
    server.wait_for_email(email, "cancelled")
    rows = server.sql("SELECT status FROM bookings WHERE public_id = :ref", ref=ref)
    assert [row[0].lower() for row in rows] == ["cancelled"]
