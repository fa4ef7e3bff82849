"""Helpers that walk the booking flow through the test client like a patient would."""

from __future__ import annotations

import html
import re

from tests.support.screens import form_data

START_RE = re.compile(r'name="start" value="([^"]+)"')
FORM_KEY_RE = re.compile(r'<input[^>]*name="form_key"[^>]*value="([^"]+)"')
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
MANAGE_RE = re.compile(r'href="(?:https?://[^/"]+)?(/manage/[A-Za-z0-9_-]+)"')

DETAILS = {
    "name": "Jo Bloggs",
    "email": "Jo.Bloggs@Example.org",
    "phone": "07700 900123",
    "note": "Left side is worse",
    "over_18": "y",
    "agree_policy": "y",
}


DAY_LINK_RE = re.compile(r'<a class="day-chip[^"]*" href="([^"]+)"')


def offered_starts(client, path="/book/time") -> list[str]:
    """Every start the picker offers in the week ``path`` shows, day by day, in order."""
    page = client.get(path).get_data(as_text=True)
    starts = START_RE.findall(page)
    for link in DAY_LINK_RE.findall(page):
        day_page = client.get(html.unescape(link)).get_data(as_text=True)
        starts += [s for s in START_RE.findall(day_page) if s not in starts]
    return sorted(starts)


def choose(client, option="therapeutic-back-massage:60", therapist="", *, screen=True):
    """Choose a treatment; unless told not to, answer the screen with nothing of concern."""
    response = client.post("/book/", data={"option": option, "therapist": therapist})
    if screen and response.status_code == 303 and response.location.endswith("/book/health"):
        assert answer_screen(client).status_code == 303
    return response


def answer_screen(client, answers=None):
    return client.post("/book/health", data=form_data(answers))


def book_through_the_flow(
    client, *, option="therapeutic-back-massage:60", pick=0, screen=None, **details
):
    """Walk every step; return (done page response, the start chosen)."""
    assert choose(client, option).status_code == 303
    assert answer_screen(client, screen).status_code == 303
    start = offered_starts(client)[pick]
    assert client.post("/book/time", data={"start": start}).status_code == 303
    response = client.post("/book/details", data={**DETAILS, **details})
    assert response.status_code == 303, response.get_data(as_text=True)
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    response = client.post("/book/review", data={"form_key": key})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.location), start


def manage_path(done_page) -> str:
    return MANAGE_RE.search(done_page.get_data(as_text=True)).group(1)
