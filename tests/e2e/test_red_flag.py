"""A red flag (new bladder trouble): emergency advice, and no booking is made."""

from __future__ import annotations

from tests.e2e.flows import answer_health, choose_treatment


def test_red_flag_shows_emergency_advice_and_books_nothing(page, server):
    before = server.sql("SELECT count(*) FROM bookings")[0][0]
    choose_treatment(page)
    answer_health(page, pain=4, emergency="bladder")
    heading = page.get_by_role("heading", level=1)
    heading.wait_for()
    assert heading.inner_text() == "Please get medical help now"
    alert = page.get_by_role("alert")
    assert "999" in alert.inner_text()
    page.get_by_text("We have not kept your answers.").wait_for()
    # Nothing booked, and the way on to a time is closed.
    assert server.sql("SELECT count(*) FROM bookings")[0][0] == before
    page.goto("/book/time")
    page.wait_for_url("**/book/health")
    assert server.sql("SELECT count(*) FROM bookings")[0][0] == before
    page.goto("/book/health")  # the last page shown: back at the questions, unanswered
