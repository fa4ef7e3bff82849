"""Walking the waitlist pages like a patient: a one-slot clinic, joining, reading the mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import MessageKind, OutboxMessage
from tests.builders import make_room, make_service, make_therapist
from tests.support.flows import choose
from tests.waitlist.helpers import ONE_SLOT, THURSDAY

ENTRY_LINK_RE = re.compile(r'href="(/waitlist/[A-Za-z0-9_-]{20,64})"')
JOIN = {
    "first_day": THURSDAY.isoformat(),
    "last_day": THURSDAY.isoformat(),
    "therapist": "",
    "name": "Wendy Waiting",
    "email": "wendy@example.org",
    "phone": "07700 900456",
    "over_18": "y",
    "agree_policy": "y",
}


@pytest.fixture
def clinic(app):
    service = make_service(slug="back-care", name="Back care", durations=((60, 5000),))
    therapist = make_therapist(services=[service], hours=ONE_SLOT, name="Tess Therapist")
    make_room()
    db.session.commit()
    return service.id, therapist.id


def join_through_the_pages(client, **fields):
    """Choose the treatment, answer the screen, then join; return the response."""
    assert choose(client, "back-care:60").status_code == 303
    return client.post("/waitlist/join", data={**JOIN, **fields})


def entry_path(joined_page) -> str:
    """The entry's own link, from the page shown after joining."""
    return ENTRY_LINK_RE.search(joined_page.get_data(as_text=True)).group(1)


def outbox(kind: MessageKind) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
