"""Severe pain (8/10), on phones: the patient sends their GP the clinician's own link from
the held booking's manage page; the GP opens it on their own phone, is told clearly what a
wrong registration number looks like, and clears the hold, which confirms the booking."""

from __future__ import annotations

import re

from tests.e2e.conftest import ARTIFACTS, PHONE, assert_accessible, manage_link, snap
from tests.e2e.flows import book, new_email

CLINICIAN_LINK = re.compile(r"https?://[^\s\"'<>]+/clinician/[A-Za-z0-9_-]+")


def clinician_link(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            found = CLINICIAN_LINK.search(part.get_content())
            if found:
                return found.group(0)
    raise AssertionError("no clinician's link in the email")


def test_the_patients_gp_clears_the_hold_through_their_own_link(page, browser, server):
    email = new_email("held.for.gp")
    gp_email = new_email("dr.patel")
    book(page, name="Sam Severe", email=email, pain=8)
    ref = page.url.rsplit("/", 1)[-1]
    page.goto(manage_link(server.wait_for_email(email, "held")))
    page.get_by_role("link", name="Ask your GP or physio to tell us").click()
    page.wait_for_url("**/clinician")
    assert_accessible(page)
    snap(page, "clinician-send")
    page.fill("#name", "Dr Amara Patel")
    page.fill("#email", gp_email)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_text("emailed Dr Amara Patel a link").wait_for()
    page.get_by_text("not answered yet").wait_for()

    request = server.wait_for_email(gp_email, "clinician_request")
    assert "Sam Severe" in request.get_body(preferencelist=("plain",)).get_content()
    context = browser.new_context(viewport=PHONE, base_url=server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        gp = context.new_page()
        gp.goto(clinician_link(request))
        gp.get_by_role("heading", name="Medical clearance for massage").wait_for()
        gp.get_by_text("Therapeutic back massage, 60 minutes").wait_for()
        assert_accessible(gp)
        snap(gp, "clinician-form")
        gp.get_by_label("GP", exact=True).check()
        gp.fill("#registration", "12345")
        gp.get_by_label("Yes, massage is suitable").check()
        gp.check("#truthful")
        gp.get_by_role("button", name="Send the clearance").click()
        gp.locator("#error-summary").wait_for()
        assert gp.evaluate("document.activeElement.id") == "error-summary"
        gp.get_by_text("A GMC number is 7 digits").first.wait_for()
        gp.screenshot(path=str(ARTIFACTS / "clinician-form-errors.png"), full_page=True)
        assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref)[0][0] == (
            "held"
        )
        gp.fill("#registration", "7654321")
        gp.check("#truthful")
        gp.get_by_role("button", name="Send the clearance").click()
        gp.get_by_text("The booking is confirmed").wait_for()
        snap(gp, "clinician-thanks")
        assert_accessible(gp)
    finally:
        context.close()
    assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref)[0][0] == (
        "confirmed"
    )
    server.wait_for_email(email, "clearance")
