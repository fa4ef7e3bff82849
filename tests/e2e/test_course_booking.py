"""On a phone, a patient in severe pain books a six-week course; one week's time is taken.

The course is chosen on the treatment step, the first time from the picker; the plan lists
all six sessions, one of them moved because another patient took its time meanwhile, and
the patient accepts it with the keyboard. Every session is held until the clearance. axe
checks each new page; the plan and the done page are saved for the README's tour.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import PHONE, ROOT, manage_link
from tests.e2e.flows import answer_health, fill_details, new_email
from tests.e2e.test_accessibility import Audit
from tests.e2e.test_keyboard import choose_radio, tab_to
from tests.e2e.test_screenshots import clinic_closed_for_a_week

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
SCREENSHOTS = ROOT / "docs" / "screenshots"
OPTION = "#option-therapeutic-back-massage-60"
THERAPIST_SQL = (
    "SELECT t.slug FROM therapists t JOIN therapist_services ts ON ts.therapist_id = t.id"
    " JOIN services s ON s.id = ts.service_id"
    " WHERE s.slug = 'therapeutic-back-massage' AND t.active ORDER BY t.position LIMIT 1"
)


def choose_course(page, therapist: str, *, course: bool = True) -> None:
    page.goto("/book/")
    page.check(OPTION)
    if course:
        page.get_by_label("A course of sessions").check()
    page.get_by_label("Therapist", exact=True).select_option(therapist)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/book/health")


def pick_first_session(page, later: int) -> tuple[datetime, int]:
    """Pick the first time ``later`` weeks on; return it and a later session still free."""
    for _ in range(later):
        page.get_by_role("link", name=re.compile("Later")).click()
    first = page.locator("button.time-button").first
    start = datetime.fromisoformat(first.get_attribute("value"))
    first.click()
    page.wait_for_url("**/book/course")
    sessions = page.locator("li.course-session")
    assert sessions.count() == 6
    free = [n for n in range(1, 7) if "Free" in sessions.nth(n - 1).inner_text()]
    assert 1 in free and len(free) >= 2, [sessions.nth(i).inner_text() for i in range(6)]
    return start, free[1]


def session_start(first: datetime, number: int) -> datetime:
    """Session ``number``'s wanted start: the first's wall-clock time, weeks later."""
    local = first.astimezone(LONDON).replace(tzinfo=None) + timedelta(weeks=number - 1)
    return local.replace(tzinfo=LONDON).astimezone(UTC)


def take_single_session(browser, server, therapist: str, start: datetime) -> None:
    """Another patient books one session with ``therapist`` at ``start``."""
    context = browser.new_context(viewport=PHONE, base_url=server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    other = context.new_page()
    try:
        choose_course(other, therapist, course=False)
        answer_health(other, pain=3)
        other.wait_for_url("**/book/time")
        day = start.astimezone(LONDON).date().isoformat()
        other.goto(f"/book/time?from={day}&day={day}")
        other.locator(f'button.time-button[value="{start.isoformat()}"]').click()
        fill_details(other, name="Olive Other", email=new_email("other"))
        other.get_by_role("button", name="Book now").click()
        other.wait_for_url("**/book/done/**")
    finally:
        context.close()


def test_a_six_week_course_in_severe_pain_on_a_phone(page, browser, server):
    audit = Audit(page)
    (therapist,) = server.sql(THERAPIST_SQL)[0]
    page.goto("/book/")
    page.get_by_label("A course of sessions").check()
    page.get_by_role("button", name="Continue").click()
    audit.check("choose a course, with errors")
    choose_course(page, therapist)
    answer_health(page, pain=8)
    page.wait_for_url("**/book/time")
    page.get_by_role("heading", name="Choose the first session's time").wait_for()
    audit.check("time picker, first session of a held course")
    start, number = pick_first_session(page, later=1)
    audit.check("course plan")

    # Another patient takes a later session's time while this one is deciding.
    taken = session_start(start, number)
    take_single_session(browser, server, therapist, taken)
    page.reload()
    moved = page.locator(f"#session-{number}")
    assert "Moved to the nearest free time" in moved.inner_text()
    assert taken.astimezone(LONDON).strftime("%A %-d %B, %H:%M") in moved.inner_text()

    # Continuing without accepting books nothing and says why, linked to the box.
    page.get_by_role("button", name="Continue").click()
    page.locator(".error-summary").wait_for()
    assert "accept the changed times" in page.locator(".error-summary").inner_text()
    audit.check("course plan, acceptance missing")
    page.locator("#error-summary a").first.click()
    page.locator("#accept").focus()
    page.keyboard.press("Space")
    assert page.locator("#accept").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Continue"
    page.keyboard.press("Enter")
    page.wait_for_url("**/book/details")
    email = new_email("course")
    fill_details(page, name="Cora Course", email=email)
    assert page.locator("li.course-session").count() == 6
    audit.check("course review (held)")
    page.get_by_role("button", name="Reserve these 6 sessions").click()
    page.wait_for_url("**/book/course/done/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Your course is reserved"
    assert page.locator("li.course-session").count() == 6
    assert page.get_by_text("Held", exact=True).count() == 6
    audit.check("course done (held)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "course-done.png"), full_page=True)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    audit.assert_clean()

    ref = page.url.rsplit("/", 1)[-1]
    rows = server.sql(
        "SELECT b.course_session, b.status, b.starts_at FROM bookings b"
        " JOIN courses c ON c.id = b.course_id WHERE c.public_id = :ref"
        " ORDER BY b.course_session",
        ref=ref,
    )
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert {str(row[1]).lower() for row in rows} == {"held"}
    link = manage_link(server.wait_for_email(email))
    assert page.goto(link).status == 200


def test_the_course_plan_for_the_readme(browser, server):
    """The plan with a moved week, at a phone's width, for the README's tour."""
    context = browser.new_context(viewport=PHONE, base_url=server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        (therapist,) = server.sql(THERAPIST_SQL)[0]
        choose_course(page, therapist)
        answer_health(page, pain=3)
        page.wait_for_url("**/book/time")
        start, number = pick_first_session(page, later=2)
        take_single_session(browser, server, therapist, session_start(start, number))
        page.reload()
        page.get_by_text("Moved to the nearest free time").first.wait_for()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "course-plan.png"), full_page=True)
    finally:
        context.close()


def test_a_week_without_any_time_books_nothing_and_is_reached_by_keyboard(page, server):
    """Chosen by keyboard alone, a course whose second week the clinic is closed."""
    audit = Audit(page)
    page.goto("/book/")
    choose_radio(page, "option", "therapeutic-back-massage:60")
    choose_radio(page, "kind", "course")
    choose_radio(page, "every_weeks", "1")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/book/health")
    answer_health(page, pain=3)
    page.wait_for_url("**/book/time")
    with clinic_closed_for_a_week(server) as monday:
        # The Thursday before: its second session's whole week (Monday to Sunday) is closed.
        thursday = (monday - timedelta(days=4)).isoformat()
        page.goto(f"/book/time?from={thursday}&day={thursday}")
        page.locator("button.time-button").first.click()
        page.wait_for_url("**/book/course")
        assert "No time that week" in page.locator("#session-2").inner_text()
        notice = page.locator("#no-time")
        assert "There is no free time in the week of session 2. Nothing is booked." in (
            notice.inner_text()
        )
        assert page.get_by_role("button", name="Continue").count() == 0
        audit.check("course plan, a week without any time")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        notice.get_by_role("link", name="Choose a different first time").click()
        page.wait_for_url("**/book/time")
    audit.assert_clean()
