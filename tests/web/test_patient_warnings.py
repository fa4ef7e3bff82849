"""Patients are told before they act: cut-offs on the review page, a confirm step before a
move, and the calendar links on the done and manage pages."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import Booking
from tests.support.database import DEFAULT_NOW
from tests.support.flows import (
    DETAILS,
    book_through_the_flow,
    choose,
    manage_path,
    offered_starts,
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def the_booking() -> Booking:
    db.session.rollback()
    return db.session.scalar(select(Booking))


def review_page(client, start: str) -> str:
    assert client.post("/book/time", data={"start": start}).status_code == 303
    client.post("/book/details", data=DETAILS)
    return client.get("/book/review").get_data(as_text=True)


def test_a_time_inside_the_cut_off_is_flagged_before_booking(client, demo):
    choose(client)
    starts = offered_starts(client)
    soon = next(s for s in starts if datetime.fromisoformat(s) - DEFAULT_NOW < timedelta(hours=24))
    page = review_page(client, soon)
    assert 'id="cutoff-warning"' in page
    assert "less than 24 hours away" in page
    assert "won't be able to move or cancel it online" in html.unescape(page)


def test_a_time_outside_the_cut_off_has_no_warning(client, demo):
    choose(client)
    later = next(
        s
        for s in offered_starts(client)
        if datetime.fromisoformat(s) - DEFAULT_NOW > timedelta(hours=48)
    )
    assert 'id="cutoff-warning"' not in review_page(client, later)


def test_done_and_manage_pages_offer_add_to_calendar_without_health_data(client, demo):
    done, _ = book_through_the_flow(client, pick=60, note="Quokkafeather sciatica")
    path = manage_path(done)
    for page in (done.get_data(as_text=True), client.get(path).get_data(as_text=True)):
        links = dict(
            (name, html.unescape(href))
            for href, name in re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)', page)
        )
        ics = next(href for name, href in links.items() if ".ics" in name)
        google = next(href for name, href in links.items() if name.startswith("Google"))
        outlook = next(href for name, href in links.items() if name.startswith("Outlook"))
        assert google.startswith("https://calendar.google.com/")
        assert outlook.startswith("https://outlook.live.com/")
        for link in (google, outlook):
            assert "Quokkafeather" not in unquote(link) and "sciatica" not in unquote(link)
        download = client.get(ics)
        assert download.status_code == 200
        assert download.content_type.startswith("text/calendar")
        assert b"Quokkafeather" not in download.data


def test_moving_from_the_manage_page_asks_first(client, demo):
    done, _ = book_through_the_flow(client, pick=100)
    path = manage_path(done)
    old = the_booking().starts_at
    picker_page = client.get(f"{path}/reschedule").get_data(as_text=True)
    # The picker's times go to a confirm page with GET: nothing changes yet.
    assert re.search(rf'<form method="get" action="{path}/reschedule/confirm"', picker_page)
    new_start = offered_starts(client, f"{path}/reschedule")[40]
    confirm = client.get(f"{path}/reschedule/confirm", query_string={"start": new_start})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Move your booking?" in page
    assert "Yes, move my booking" in page
    assert the_booking().starts_at == old
    response = client.post(f"{path}/reschedule", data={"start": new_start})
    assert response.status_code == 303
    assert the_booking().starts_at == datetime.fromisoformat(new_start)


def test_confirming_a_time_that_is_not_free_goes_back_to_the_picker(client, demo):
    done, _ = book_through_the_flow(client, pick=100)
    path = manage_path(done)
    for bad in ("2027-03-10T03:00:00+00:00", "nonsense", ""):
        response = client.get(f"{path}/reschedule/confirm", query_string={"start": bad})
        assert response.status_code == 400
        assert "no longer free" in html.unescape(response.get_data(as_text=True))
