"""axe-core at WCAG 2.2 AA on every public, booking, manage and reception page: no violations.

Each page is checked as a person reaches it (errors shown, times listed, forms filled), on
a phone for patients and on a desk-sized screen for reception. All violations of all pages
are reported together.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import axe_violations, manage_link
from tests.e2e.flows import answer_health, choose_treatment, fill_details, new_email
from tests.e2e.test_reception import sign_in


class Audit:
    def __init__(self, page):
        self.page = page
        self.found: dict[str, list] = {}
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        self.page.wait_for_load_state()
        self.checked.append(label)
        violations = axe_violations(self.page)
        if violations:
            self.found[f"{label} ({self.page.url})"] = violations

    def visit(self, path: str, label: str | None = None) -> bool:
        response = self.page.goto(path)
        if response is not None and response.status == 404 and label != "404 page":
            return False
        self.check(label or path)
        return True

    def assert_clean(self) -> None:
        report = "\n".join(f"{page}: {violations}" for page, violations in self.found.items())
        assert not self.found, f"axe violations on {len(self.found)} page(s):\n{report}"


def test_public_booking_and_manage_pages_have_no_violations(page, server):
    audit = Audit(page)
    for path in ("/", "/services", "/back-pain", "/severe-pain", "/therapists", "/visit"):
        audit.visit(path)
    audit.visit("/privacy")
    for (slug,) in server.sql("SELECT slug FROM services WHERE active"):
        audit.visit(f"/services/{slug}")
    audit.visit("/no-such-page", "404 page")

    # The booking path, with each form's error state too.
    audit.visit("/book/")
    page.get_by_role("button", name="Continue").click()
    audit.check("choose, with errors")
    choose_treatment(page)
    audit.check("health questions")
    page.get_by_role("button", name="Continue").click()
    audit.check("health questions, with errors")
    answer_health(page, pain=8)
    page.wait_for_url("**/book/time")
    audit.check("time picker (held: from a day ahead)")
    page.get_by_role("link", name=re.compile("Later")).click()
    audit.check("time picker, later week")
    page.locator("button.time-button").first.click()
    page.wait_for_url("**/book/details")
    audit.check("details")
    page.get_by_role("button", name="Continue").click()
    audit.check("details, with errors")
    email = new_email("axe")
    fill_details(page, name="Ari Axe", email=email)
    audit.check("review (held)")
    page.locator("form button.button-primary").click()
    page.wait_for_url("**/book/done/**")
    audit.check("done (held)")

    # The manage pages from the emailed link.
    link = manage_link(server.wait_for_email(email, "held"))
    audit.visit(link, "manage")
    audit.visit(link + "/clearance", "clearance")
    page.get_by_role("button", name="Send").click()
    audit.check("clearance, with errors")
    audit.visit(link + "/reschedule", "reschedule")
    page.locator("a.day-chip:not(.day-chip-empty)").last.click()
    audit.check("reschedule, another day")
    page.locator("button.time-button").first.click()
    page.wait_for_url("**/reschedule/confirm**")
    audit.check("reschedule, confirm the move")
    audit.visit(link + "/cancel", "cancel")
    page.get_by_role("button", name="Yes, cancel this booking").click()
    audit.check("manage, cancelled")
    audit.visit(link + "/cancel", "cancel of a finished booking")

    # A red flag: the emergency advice.
    choose_treatment(page)
    answer_health(page, pain=5, emergency="saddle_numbness")
    audit.check("emergency advice")
    audit.assert_clean()


def test_reception_pages_have_no_violations(desktop_page, server):
    page = desktop_page
    audit = Audit(page)
    audit.visit("/staff/login")
    page.fill("#email", "nobody@example.org")
    page.fill("#password", "not the password at all")
    page.get_by_role("button", name="Sign in").click()
    audit.check("login, refused")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    sign_in(page)
    audit.check("reception home")
    visited = [audit.visit(path) for path in ("/reception/day", "/reception/week")]
    if not any(visited):
        pytest.skip("reception day and week views are not built yet")
    audit.visit("/reception/day?by=room", "day by room")
    audit.visit("/reception/holds")
    audit.visit("/reception/patients")
    audit.visit("/reception/mail")
    audit.visit("/reception/blocks")
    if audit.visit("/reception/book"):
        page.get_by_role("button", name="Show free times").click()
        audit.check("book a caller, free times")
        page.get_by_role("button", name="Book", exact=True).click()
        audit.check("book a caller, with errors")
    refs = server.sql("SELECT public_id FROM bookings ORDER BY id DESC LIMIT 1")
    if refs:
        ref = refs[0][0]
        audit.visit(f"/reception/bookings/{ref}")
        audit.visit(f"/reception/bookings/{ref}/move")
        audit.visit(f"/reception/bookings/{ref}/intake")
    held = server.sql("SELECT public_id FROM bookings WHERE status = 'held' LIMIT 1")
    if held:
        audit.visit(f"/reception/bookings/{held[0][0]}", "held booking")
    patients = server.sql("SELECT id FROM patients ORDER BY id LIMIT 1")
    if patients:
        audit.visit(f"/reception/patients/{patients[0][0]}")
    audit.visit("/reception/admin/", "admin (refused for reception)")
    audit.assert_clean()
