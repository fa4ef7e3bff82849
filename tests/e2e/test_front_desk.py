"""The front desk on a 1280x800 screen, and every reception and admin page on a phone and
a desk: screenshots for the README (docs/screenshots/reception-*.png, admin-*.png) and
axe-core at WCAG 2.2 AA with zero violations allowed.
"""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.flows import FINE_ANSWERS
from tests.e2e.test_accessibility import Audit
from tests.e2e.test_reception import sign_in
from tests.e2e.test_waitlist import local_day

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ADMIN_EMAIL = "desk-owner@spineandease.example"
ADMIN_PASSWORD = "e2e-admin-password-for-the-tour"


@pytest.fixture
def desk_page(browser, server):
    context = browser.new_context(viewport=DESK, base_url=server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_receptionist_sees_the_clinic_day_and_books_a_caller_from_an_empty_slot(
    desk_page, server
):
    page = desk_page
    sign_in(page)
    page.goto("/reception/day")
    # Every working therapist has a column, and the whole working day is on the screen.
    therapists = server.sql("SELECT count(*) FROM therapists WHERE active")[0][0]
    assert page.locator("table.calendar thead .column-head").count() == therapists
    grid = page.locator("table.calendar").bounding_box()
    assert grid["y"] + grid["height"] <= DESK["height"], grid

    # N goes to the next day (the keyboard shortcut); a free cell there starts a booking.
    # A free cell is as long as the grid step; the first one followed by enough free time
    # for a treatment is ticked on the booking form (a short gap says it is not free). The
    # demo fills some days more than others, so a day with no such gap sends us on to the next.
    ticked = False
    for _day in range(7):
        page.locator("body").press("n")
        page.wait_for_url(re.compile(r"/reception/day\?date="))
        day_url = page.url
        cells = page.locator("a.free-slot").count()
        if cells:
            label = page.locator("a.free-slot").first.inner_text()
            assert "Book a caller at" in label and " with " in label
        for index in range(min(cells, 40)):
            page.locator("a.free-slot").nth(index).click()
            page.wait_for_url(re.compile(r"/reception/book\?"))
            if page.locator("input[name=start]:checked").count() == 1:
                ticked = True
                break
            page.goto(day_url)
        if ticked:
            break
        page.goto(day_url)
    assert page.locator("input[name=start]:checked").count() == 1
    assert page.locator("#option").input_value()  # a treatment is proposed

    # A phone-only caller: a name and a number, no email.
    page.fill("#name", "Phoebe Phone")
    page.fill("#phone", "07700 900456")
    page.check("#over_18")
    page.check("#consent")
    for name, value in FINE_ANSWERS.items():
        page.check(f"#{name}-{value}")
    page.check("#pain_score-2")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r"/reception/bookings/[^/]+$"))
    page.get_by_text("no emails are sent").first.wait_for()
    ref = page.url.rsplit("/", 1)[-1]
    rows = server.sql(
        "SELECT p.email, b.contact_email, b.status FROM bookings b JOIN patients p"
        " ON p.id = b.patient_id WHERE b.public_id = :ref",
        ref=ref,
    )
    assert rows == [(None, "", "confirmed")], rows
    queued = server.sql(
        "SELECT count(*) FROM outbox_messages m JOIN bookings b ON b.id = m.booking_id"
        " WHERE b.public_id = :ref",
        ref=ref,
    )
    assert queued[0][0] == 0
    page.get_by_role("link", name="printable confirmation").click()
    page.get_by_text(ref[:8].upper()).first.wait_for()


def _shoot_and_check(browser, server, pages, *, sign_in_as, audit_label):
    """Visit ``pages`` at 390 and 1280 px: a full-page screenshot each, axe at both sizes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for width, viewport in ((390, PHONE), (1280, {"width": 1280, "height": 800})):
        context = browser.new_context(viewport=viewport, base_url=server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            sign_in_as(page)
            audit = Audit(page)
            for name, path in pages:
                response = page.goto(path)
                assert response is not None and response.status == 200, (path, response)
                audit.check(f"{name} at {width}")
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            found.update(audit.found)
        finally:
            context.close()
    assert not found, f"axe violations on {audit_label}: {found}"


def test_every_reception_page_is_styled_and_accessible(browser, server):
    ref = server.sql(
        "SELECT public_id FROM bookings WHERE status = 'confirmed' ORDER BY starts_at DESC LIMIT 1"
    )[0][0]
    held = server.sql("SELECT public_id FROM bookings WHERE status = 'held' LIMIT 1")
    patient = server.sql("SELECT patient_id FROM bookings WHERE public_id = :ref", ref=ref)[0][0]
    slug = server.sql("SELECT slug FROM therapists ORDER BY position LIMIT 1")[0][0]
    offered = server.sql(
        "SELECT s.slug, o.starts_at FROM waitlist_offers o JOIN services s ON s.id = o.service_id"
        " ORDER BY o.id LIMIT 1"
    )[0]
    waiting = (offered[0], local_day(offered[1]).isoformat())
    pages = [
        ("reception-day", "/reception/day"),
        ("reception-day-by-room", "/reception/day?by=room"),
        ("reception-week", "/reception/week"),
        ("reception-week-therapist", f"/reception/week?therapist={slug}"),
        ("reception-holds", "/reception/holds"),
        ("reception-book", "/reception/book"),
        ("reception-booking", f"/reception/bookings/{ref}"),
        ("reception-move", f"/reception/bookings/{ref}/move"),
        ("reception-confirmation", f"/reception/bookings/{ref}/confirmation"),
        ("reception-search", f"/reception/patients?q={ref[:8].upper()}"),
        ("reception-patient", f"/reception/patients/{patient}"),
        ("reception-mail", "/reception/mail"),
        ("reception-blocks", "/reception/blocks"),
        # The demo's patients waiting, with the offer in flight (its countdown) on that day.
        ("reception-waitlist-demo", f"/reception/waitlist?service={waiting[0]}&date={waiting[1]}"),
    ]
    if held:
        pages.append(("reception-held-booking", f"/reception/bookings/{held[0][0]}"))

    def as_reception(page):
        sign_in(page)
        # The day grid's free cell leads to a prefilled booking form: shoot that one too.
        page.goto("/reception/day")

    _shoot_and_check(browser, server, pages, sign_in_as=as_reception, audit_label="reception")

    # The booking form as a free cell opens it, and the sign-in page.
    for width, viewport in ((390, PHONE), (1280, DESK)):
        context = browser.new_context(viewport=viewport, base_url=server.url, locale="en-GB")
        page = context.new_page()
        page.goto("/staff/login")
        page.screenshot(path=str(SCREENSHOTS / f"reception-login-{width}.png"), full_page=True)
        sign_in(page)
        page.goto("/reception/day")
        page.locator("body").press("n")
        page.wait_for_url(re.compile(r"date="))
        page.locator("a.free-slot").first.click()
        page.wait_for_url(re.compile(r"/reception/book\?"))
        audit = Audit(page)
        audit.check(f"book from a free cell at {width}")
        audit.assert_clean()
        page.screenshot(
            path=str(SCREENSHOTS / f"reception-book-from-cell-{width}.png"), full_page=True
        )
        context.close()


def test_every_admin_page_is_styled_and_accessible(browser, server):
    server.flask(
        "booking", "create-staff", "--email", ADMIN_EMAIL, "--name", "Olive Owner",
        "--role", "admin", extra_env={"BOOKING_STAFF_PASSWORD": ADMIN_PASSWORD},
    )  # fmt: skip
    # The first sign-in enrols the authenticator: the set-up page with its QR code.
    secret = {}
    for width, viewport in ((390, PHONE), (1280, DESK)):
        context = browser.new_context(viewport=viewport, base_url=server.url, locale="en-GB")
        page = context.new_page()
        page.goto("/staff/login")
        page.fill("#email", ADMIN_EMAIL)
        page.fill("#password", ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/staff/totp/setup"))
        assert page.locator(".totp-qr svg").count() == 1, page.content()[-3000:]
        audit = Audit(page)
        audit.check(f"TOTP set-up at {width}")
        audit.assert_clean()
        page.screenshot(path=str(SCREENSHOTS / f"admin-totp-setup-{width}.png"), full_page=True)
        secret["key"] = page.locator("#totp-secret").inner_text().replace(" ", "")
        context.close()

    def as_admin(page):
        page.goto("/staff/login")
        page.fill("#email", ADMIN_EMAIL)
        page.fill("#password", ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#code").wait_for()
        totp = pyotp.TOTP(secret["key"])
        # Each code works once: wait for the next step when this one was just used.
        code = totp.now()
        while code == secret.get("used"):
            page.wait_for_timeout(1000)
            code = totp.now()
        secret["used"] = code
        page.fill("#code", code)
        page.get_by_role("button", name=re.compile("Turn on|Sign in|Continue")).click()
        page.wait_for_url(re.compile(r"/reception/"))

    service = server.sql("SELECT id FROM services ORDER BY position LIMIT 1")[0][0]
    therapist = server.sql("SELECT id FROM therapists ORDER BY position LIMIT 1")[0][0]
    pages = [
        ("admin-home", "/reception/admin/"),
        ("admin-services", "/reception/admin/services"),
        ("admin-service", f"/reception/admin/services/{service}"),
        ("admin-therapists", "/reception/admin/therapists"),
        ("admin-therapist", f"/reception/admin/therapists/{therapist}"),
        ("admin-rooms", "/reception/admin/rooms"),
        ("admin-staff", "/reception/admin/staff"),
        ("admin-settings", "/reception/admin/settings"),
        ("admin-feeds", "/reception/admin/feeds"),
        ("admin-audit", "/reception/admin/audit"),
        ("admin-export", "/reception/admin/export"),
    ]
    _shoot_and_check(browser, server, pages, sign_in_as=as_admin, audit_label="admin")
