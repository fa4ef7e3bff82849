"""Stored XSS in a real browser: a patient's name full of script opens no dialog anywhere.

Part of the hostile suite (see tests/security/), here because it needs Chromium: a patient
books with a name and a note that would each call ``alert()`` if any page rendered them as
markup; the done page, the manage page and reception's pages are opened in Chromium with a
dialog listener, and not one dialog may open.
"""

from __future__ import annotations

import re

from tests.e2e.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.e2e.flows import book, new_email

# Each fits a name (100 characters) and is accepted as one: letters, no control characters.
NAMES = [
    "Jo <img src=x onerror=alert(1)>",
    'Jo "><svg onload=alert(2)>',
    "Jo </title><script>alert(3)</script>",
]


def test_stored_payloads_open_no_dialog_in_chromium(desktop_page, server):
    page = desktop_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    references = []
    for name in NAMES:
        book(page, name=name, email=new_email("xss"))
        references.append(page.url.rsplit("/", 1)[1])
        manage = page.locator("a[href*='/manage/']").first.get_attribute("href")
        page.goto(manage)
        page.wait_for_load_state("load")
    page.goto("/staff/login")
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/reception/"))
    for name, ref in zip(NAMES, references, strict=True):
        page.goto(f"/reception/bookings/{ref}")
        page.wait_for_load_state("load")
        assert name in page.inner_text("body")  # shown, as text
    page.goto("/reception/patients")
    page.goto("/reception/")
    page.wait_for_timeout(300)  # let any onerror/onload handler fire
    assert dialogs == []
