"""A screenshot of every public, booking, manage, reception and admin page, on a phone and a desk.

Each page is saved whole to ``docs/screenshots/pages/<name>-<width>.png`` (git-ignored,
rewritten by every run) so a person can look through them after a change; the README's
tour uses copies of a few. Every page must answer without a server error; the pages are
reached as a person reaches them (a booking made, a move chosen, a staff sign-in).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from tests.e2e.conftest import ROOT, STAFF_EMAIL, STAFF_PASSWORD, manage_link
from tests.e2e.flows import answer_health, choose_treatment, fill_details, new_email

PAGES = ROOT / "docs" / "screenshots" / "pages"
WIDTHS = {390: 844, 1280: 800}
ADMIN_EMAIL = "owner@spineandease.example"
ADMIN_PASSWORD = "e2e-admin-password-for-screenshots"


class Camera:
    """Saves the page in hand at every width (the layout reflows; nothing is reloaded)."""

    def __init__(self, page):
        self.page = page

    def shoot(self, name: str) -> None:
        self.page.wait_for_load_state()
        PAGES.mkdir(parents=True, exist_ok=True)
        for width, height in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=str(PAGES / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": min(WIDTHS), "height": WIDTHS[min(WIDTHS)]})

    def visit(self, path: str, name: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status < 500, (path, response and response.status)
        self.shoot(name)


@pytest.fixture
def camera(browser, server):
    width = min(WIDTHS)
    context = browser.new_context(
        viewport={"width": width, "height": WIDTHS[width]}, base_url=server.url, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    yield Camera(context.new_page())
    context.close()


@contextmanager
def clinic_closed_for_a_week(server):
    """Close the clinic for the week starting four Mondays ahead; reopen it afterwards."""
    from sqlalchemy import create_engine, text

    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday() + 21)
    starts = datetime.combine(monday, datetime.min.time(), UTC) - timedelta(hours=1)
    engine = create_engine(server.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO closures (starts_at, ends_at, reason) VALUES (:s, :e, :r)"),
            {"s": starts, "e": starts + timedelta(days=7, hours=2), "r": "Screenshots"},
        )
    try:
        yield monday
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM closures WHERE reason = 'Screenshots'"))
        engine.dispose()


def test_every_patient_page(camera, server):
    page, shot = camera.page, camera
    for path, name in (
        ("/", "home"),
        ("/services", "services"),
        ("/back-pain", "back-pain"),
        ("/severe-pain", "severe-pain"),
        ("/therapists", "therapists"),
        ("/visit", "visit"),
        ("/privacy", "privacy"),
        ("/no-such-page", "not-found"),
    ):
        shot.visit(path, name)
    slug = server.sql("SELECT slug FROM services WHERE active ORDER BY position LIMIT 1")[0][0]
    shot.visit(f"/services/{slug}", "service")

    shot.visit("/book/", "book-choose")
    choose_treatment(page)
    shot.shoot("book-health")
    page.get_by_role("button", name="Continue").click()
    shot.shoot("book-health-errors")
    page.check("#pain_score-4")
    page.locator("#q-pain_score").scroll_into_view_if_needed()
    page.screenshot(path=str(PAGES / "book-pain-scale-390.png"))
    answer_health(page, pain=4)
    page.wait_for_url("**/book/time")
    shot.shoot("book-time")
    page.locator("a.day-chip:not(.day-chip-empty)").nth(2).click()
    shot.shoot("book-time-another-day")
    page.locator("#week-jump").select_option(index=3)
    page.get_by_role("button", name="Show").click()
    shot.shoot("book-time-later-week")
    later_week = page.url
    with clinic_closed_for_a_week(server) as monday:
        shot.visit(f"/book/time?from={monday.isoformat()}", "book-time-empty-week")
        page.get_by_text("The next free day is").wait_for()
    page.goto(later_week)
    page.locator("button.time-button").first.click()
    shot.shoot("book-details")
    email = new_email("camera")
    fill_details(page, name="Casey Camera", email=email)
    shot.shoot("book-review")
    page.locator("form button.button-primary").click()
    page.wait_for_url("**/book/done/**")
    shot.shoot("book-done")

    link = manage_link(server.wait_for_email(email, "booked"))
    shot.visit(link, "manage")
    shot.visit(link + "/reschedule", "manage-reschedule")
    page.locator("button.time-button").first.click()
    page.wait_for_url("**/reschedule/confirm**")
    shot.shoot("manage-reschedule-confirm")
    shot.visit(link + "/cancel", "manage-cancel")

    # Severe pain: a held booking, its manage page and the clearance form.
    choose_treatment(page)
    answer_health(page, pain=8)
    page.wait_for_url("**/book/time")
    shot.shoot("book-time-held")
    page.locator("button.time-button").first.click()
    held_email = new_email("camera.held")
    fill_details(page, name="Hollis Held", email=held_email)
    shot.shoot("book-review-held")
    page.locator("form button.button-primary").click()
    page.wait_for_url("**/book/done/**")
    shot.shoot("book-done-held")
    held_link = manage_link(server.wait_for_email(held_email, "held"))
    shot.visit(held_link, "manage-held")
    shot.visit(held_link + "/clearance", "manage-clearance")

    # A red flag: the advice, no booking.
    choose_treatment(page)
    answer_health(page, pain=5, emergency="saddle_numbness")
    shot.shoot("emergency-advice")


def test_the_course_pages(camera, server):
    """A course booked online: the choice, the first time, the plan, the review, the done page."""
    page, shot = camera.page, camera
    page.goto("/book/")
    page.check("#option-therapeutic-back-massage-60")
    page.get_by_label("A course of sessions").check()
    page.get_by_label("Every 2 weeks").check()
    shot.shoot("book-choose-course")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/book/health")
    answer_health(page, pain=4)
    page.wait_for_url("**/book/time")
    shot.shoot("book-time-course")
    page.get_by_role("link", name=re.compile("Later")).click()
    page.locator("button.time-button").first.click()
    page.wait_for_url("**/book/course")
    shot.shoot("book-course-plan")
    if page.locator("#accept").count():
        page.check("#accept")
    page.get_by_role("button", name="Continue").click()
    fill_details(page, name="Cody Course", email=new_email("camera.course"))
    shot.shoot("book-review-course")
    page.get_by_role("button", name="Book the course").click()
    page.wait_for_url("**/book/course/done/**")
    shot.shoot("book-done-course")


def _sign_in(page, email: str, password: str) -> None:
    page.goto("/staff/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_every_reception_page(camera, server):
    page, shot = camera.page, camera
    shot.visit("/staff/login", "staff-login")
    _sign_in(page, STAFF_EMAIL, STAFF_PASSWORD)
    for path, name in (
        ("/reception/day", "reception-day"),
        ("/reception/day?by=room", "reception-day-rooms"),
        ("/reception/week", "reception-week"),
        ("/reception/holds", "reception-holds"),
        ("/reception/book", "reception-book"),
        ("/reception/patients", "reception-patients"),
        ("/reception/mail", "reception-mail"),
        ("/reception/blocks", "reception-blocks"),
    ):
        shot.visit(path, name)
    ref = server.sql(
        "SELECT public_id FROM bookings WHERE status = 'confirmed' ORDER BY starts_at DESC LIMIT 1"
    )[0][0]
    shot.visit(f"/reception/bookings/{ref}", "reception-booking")
    shot.visit(f"/reception/bookings/{ref}/move", "reception-move")
    patient = server.sql("SELECT id FROM patients ORDER BY id LIMIT 1")[0][0]
    shot.visit(f"/reception/patients/{patient}", "reception-patient")


def _admin_session(page, server) -> None:
    """Sign in as an admin, enrolling the authenticator on first sign-in."""
    server.flask(
        "booking", "create-staff", "--email", ADMIN_EMAIL, "--name", "Olive Owner",
        "--role", "admin", extra_env={"BOOKING_STAFF_PASSWORD": ADMIN_PASSWORD},
    )  # fmt: skip
    _sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert "/totp/setup" in page.url, page.url
    secret = re.sub(r"\s+", "", page.locator("#totp-secret").inner_text())
    page.fill("#code", pyotp.TOTP(secret).now())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_every_admin_page(camera, server):
    page, shot = camera.page, camera
    _admin_session(page, server)
    for path, name in (
        ("/reception/admin/", "admin-home"),
        ("/reception/admin/services", "admin-services"),
        ("/reception/admin/therapists", "admin-therapists"),
        ("/reception/admin/rooms", "admin-rooms"),
        ("/reception/admin/staff", "admin-staff"),
        ("/reception/admin/settings", "admin-settings"),
        ("/reception/admin/feeds", "admin-feeds"),
        ("/reception/admin/audit", "admin-audit"),
        ("/reception/admin/export", "admin-export"),
    ):
        shot.visit(path, name)
    service = server.sql("SELECT id FROM services ORDER BY position LIMIT 1")[0][0]
    shot.visit(f"/reception/admin/services/{service}", "admin-service")
    therapist = server.sql("SELECT id FROM therapists ORDER BY position LIMIT 1")[0][0]
    shot.visit(f"/reception/admin/therapists/{therapist}", "admin-therapist")


def test_screenshots_are_kept_out_of_git():
    assert "docs/screenshots/pages/" in Path(ROOT / ".gitignore").read_text()
