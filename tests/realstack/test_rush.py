"""A rush at the real stack: 64 clients at once, several rounds, mail going out meanwhile.

Afterwards the database is read directly: every 201 has exactly one booking, every other
answer none; no 5xx, no "database is locked" in any log, no two live bookings overlapping,
and no message sent twice by the two mail workers.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.realstack.stack import Stack, booking_body, overlaps, request

CLIENTS = 64


def _apart(free: list[tuple[str, list[str]]], wanted: int) -> list[tuple[str, str]]:
    """Up to ``wanted`` free starts two hours apart: no two can share a therapist or a room."""
    chosen: list[tuple[str, str]] = []
    last = None
    for start, therapists in free:
        at = datetime.fromisoformat(start)
        if last is None or at - last >= timedelta(hours=2):
            chosen.append((start, therapists[0]))
            last = at
        if len(chosen) == wanted:
            break
    return chosen


def _round(stack: Stack, targets: list[tuple[str, str | None]], tag: str) -> list[tuple]:
    """Each client i books targets[i % len(targets)] at once; return (email, status) pairs."""
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple] = [("", 0)] * CLIENTS

    def run(i: int) -> None:
        start, therapist = targets[i % len(targets)]
        address = f"rush-{tag}-{i}@realstack.example.org"
        key = f"rush-{tag}-{i}-{uuid.uuid4().hex[:12]}"
        barrier.wait()
        answer = request(
            stack.port,
            "POST",
            "/api/v1/bookings",
            body=booking_body(address, start, therapist),
            headers={"Idempotency-Key": key},
        )
        results[i] = (address, answer.status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


@pytest.mark.parametrize(
    ("backend", "server"),
    [("sqlite", "gunicorn"), ("sqlite", "flask"), ("postgresql", "gunicorn")],
    ids=["sqlite-gunicorn", "sqlite-make-run", "postgresql-gunicorn"],
)
def test_a_rush_gets_true_answers_and_one_booking_per_success(stack_factory, backend, server):
    stack = stack_factory(backend, server=server, mail_workers=2 if server == "gunicorn" else 1)
    free = stack.free_starts(days=28)
    one_slot = [(free[0][0], free[0][1][0])]
    few_slots = [(start, None) for start, _ in free[1:5]]
    distinct = _apart(free[12:], CLIENTS)
    assert len(distinct) == CLIENTS
    rounds = {
        "one-a": one_slot,
        "distinct": distinct,
        "few": few_slots,
        "one-b": [(free[-1][0], free[-1][1][0])],
    }
    answers: list[tuple] = []
    for tag, targets in rounds.items():
        answers += _round(stack, targets, tag)

    statuses = Counter(status for _, status in answers)
    assert statuses[201] >= CLIENTS  # the distinct round books every one of its clients
    assert not {s for s in statuses if s >= 500 or s == 0}, statuses
    assert set(statuses) <= {201, 409}, statuses
    made = {
        row[0]: row[1]
        for row in stack.rows(
            "SELECT contact_email, count(*) FROM bookings "
            "WHERE contact_email LIKE 'rush-%' GROUP BY contact_email"
        )
    }
    for address, status in answers:
        assert made.get(address, 0) == (1 if status == 201 else 0), (address, status)
    assert overlaps(stack) == 0
    # Each one-slot round was won exactly once.
    for tag in ("one-a", "one-b"):
        won = [a for a, s in answers if s == 201 and f"-{tag}-" in a]
        assert len(won) == 1, (tag, won)

    # The workers deliver every confirmation, none twice.
    booked = statuses[201]
    stack.wait_for(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM outbox_messages WHERE status = 'sent' "
                "AND to_address LIKE 'rush-%'"
            )
            == booked
        ),
        120,
        "every confirmation to be sent",
    )
    ids = Counter(m["Message-ID"] for m in stack.sink.copies() if "rush-" in m["To"])
    assert len(ids) == booked and set(ids.values()) == {1}
    assert "database is locked" not in stack.log_text()
