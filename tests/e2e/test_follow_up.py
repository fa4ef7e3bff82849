"""The follow-up after a session on a phone: the emailed link opens the form (the screen's
pain scale and red-flag questions), the answers are sent once, and a red flag gets the
screen's advice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from tests.e2e.conftest import assert_accessible, snap
from tests.e2e.flows import SIGNS, book, new_email

FOLLOW_UP_LINK = re.compile(r"https?://[^\s\"'<>]+/follow-up/[A-Za-z0-9_-]+")


def _complete_yesterday(server, email: str) -> None:
    """Reception's arrived and completed, a day and a half ago (the session is long over)."""
    ended = datetime.now(UTC) - timedelta(hours=30)
    engine = create_engine(server.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE bookings SET status = 'completed', starts_at = :start, "
                    "ends_at = :end, busy_until = :end WHERE contact_email = :email"
                ),
                {"start": ended - timedelta(hours=1), "end": ended, "email": email},
            )
    finally:
        engine.dispose()


def _follow_up_link(server, email: str) -> str:
    message = server.wait_for_email(email, kind="follow_up", timeout=30)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "pain" not in (str(message["Subject"]) + body).lower()
    return FOLLOW_UP_LINK.search(body).group(0)


def _answer(page, *, pain: int, urgent: str | None = None) -> None:
    page.check(f"#pain_now-{pain}")
    page.check("#progress-better")
    page.check("#reactions-bruising")
    page.fill("#reaction_text", "A small bruise on my left side.")
    for sign in SIGNS:
        page.check(f"#sign_{sign}-no")
    if urgent:
        page.check(f"#urgent_symptoms-{urgent}")


def test_follow_up_form_on_a_phone(page, server):
    email = new_email("followup")
    book(page, name="Fola Adeyemi", email=email)
    _complete_yesterday(server, email)
    link = _follow_up_link(server, email)

    page.goto(link)
    page.get_by_role("heading", level=1, name="How have you been since your visit?").wait_for()
    # The same pain-scale control as the booking screen, and no sideways scrolling.
    assert page.locator(".score-scale input[name=pain_now]").count() == 11
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _answer(page, pain=3)
    page.locator("#q-pain_now").scroll_into_view_if_needed()
    snap(page, "follow-up-form")
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", level=1, name="Thank you").wait_for()
    assert_accessible(page)
    rows = server.sql(
        "SELECT f.answered_at FROM follow_ups f JOIN bookings b ON b.id = f.booking_id "
        "WHERE b.contact_email = :email",
        email=email,
    )
    assert rows and rows[0][0] is not None

    # Back and send again: kept once, said kindly.
    page.goto(link)
    page.get_by_text("Your therapist will read them before your next visit.").wait_for()


def test_a_red_flag_in_the_follow_up_gets_the_screens_advice(page, server):
    email = new_email("followup.flag")
    book(page, name="Rui Santos", email=email)
    _complete_yesterday(server, email)
    page.goto(_follow_up_link(server, email))
    _answer(page, pain=6, urgent="fever_or_unwell")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", level=1, name="Please speak to a doctor today").wait_for()
    page.get_by_text("Please speak to a doctor today before booking massage.").wait_for()
    assert_accessible(page)
