"""Faults at the real stack: a commit's connection cut, a connection killed mid-request, a
lock held on ``bookings``, a mail worker killed between delivery and recording.

Each answer must be the truth, from the app itself (its 503 with Retry-After and a request
id, never the server's bare error page), and a retry with the same key must settle it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import uuid

import psycopg
from sqlalchemy import make_url

from tests.realstack.stack import Answer, Stack, booking_body, manage_tokens, request

UNKNOWN = "We could not confirm your booking"


def _book(stack: Stack, address: str, start: str, therapist: str, key: str) -> Answer:
    return request(
        stack.port,
        "POST",
        "/api/v1/bookings",
        body=booking_body(address, start, therapist),
        headers={"Idempotency-Key": key},
    )


def _count(stack: Stack, address: str) -> int:
    return stack.scalar("SELECT count(*) FROM bookings WHERE contact_email = :e", e=address)


def _assert_apps_503(answer: Answer, *, json: bool) -> None:
    assert answer.status == 503, (answer.status, answer.body[:300])
    assert answer.headers.get("retry-after")
    request_id = answer.headers.get("x-request-id")
    assert request_id
    if json:
        assert answer.json()["error"]["request_id"] == request_id
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert request_id.encode() in answer.body
    assert b"Internal Server Error" not in answer.body


def test_a_commit_cut_after_it_landed_is_unknown_and_the_retry_returns_the_booking(
    stack_factory,
):
    stack = stack_factory("postgresql", via_proxy=True, web_workers=2)
    start, therapists = stack.free_starts()[0]
    key = f"cut-{uuid.uuid4().hex[:16]}"
    address = "cut-after@realstack.example.org"

    stack.proxy.arm_commit_after_insert(forward=True)
    first = _book(stack, address, start, therapists[0], key)
    assert stack.proxy.cuts == 1
    _assert_apps_503(first, json=True)
    assert UNKNOWN in first.json()["error"]["message"]
    assert "nothing was saved" not in first.json()["error"]["message"]
    assert _count(stack, address) == 1  # it did land

    retry = _book(stack, address, start, therapists[0], key)
    assert retry.status == 200, retry.body[:300]
    assert _count(stack, address) == 1
    stored = stack.scalar("SELECT public_id FROM bookings WHERE contact_email = :e", e=address)
    assert retry.json()["booking"]["public_id"] == stored

    # Cut before the COMMIT reached the server: the same honest answer, and the retry books.
    address = "cut-before@realstack.example.org"
    key = f"cut-{uuid.uuid4().hex[:16]}"
    start, therapists = stack.free_starts()[8]
    stack.proxy.arm_commit_after_insert(forward=False)
    first = _book(stack, address, start, therapists[0], key)
    assert stack.proxy.cuts == 2
    _assert_apps_503(first, json=True)
    assert UNKNOWN in first.json()["error"]["message"]
    assert _count(stack, address) == 0
    retry = _book(stack, address, start, therapists[0], key)
    assert retry.status == 201, retry.body[:300]
    assert _count(stack, address) == 1


def test_a_connection_killed_mid_request_is_the_apps_own_503(stack_factory):
    stack = stack_factory("postgresql", via_proxy=True, web_workers=2)
    # JSON for the API, while it reads the services.
    stack.proxy.arm_on(b"FROM services")
    _assert_apps_503(request(stack.port, "GET", "/api/v1/services"), json=True)
    # HTML for a page.
    stack.proxy.arm_on(b"FROM services")
    _assert_apps_503(request(stack.port, "GET", "/services"), json=False)
    # The connection dies under the session's clean-up (the rollback at the request's end):
    # the answer already made stands, never the server's bare page.
    stack.proxy.arm_on(b"ROLLBACK")
    answer = request(stack.port, "GET", "/api/v1/services")
    assert answer.status in (200, 503) and answer.headers.get("x-request-id"), answer.status
    assert b"Internal Server Error" not in answer.body
    # And the stack recovers without a restart.
    assert request(stack.port, "GET", "/api/v1/services").status == 200


def test_a_lock_held_on_bookings_makes_a_booking_answer_503_quickly(stack_factory):
    stack = stack_factory(
        "postgresql", web_workers=2, settings={"FLASK_DATABASE_LOCK_TIMEOUT_MS": "1500"}
    )
    start, therapists = stack.free_starts()[0]
    address = "locked@realstack.example.org"
    key = f"lock-{uuid.uuid4().hex[:16]}"
    url = make_url(stack.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as holder:
        holder.execute("LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE")
        # The lock is held all along: the answer comes while it still is, from the app.
        answer = _book(stack, address, start, therapists[0], key)
        _assert_apps_503(answer, json=True)
        assert "nothing was saved" in answer.json()["error"]["message"]
        holder.rollback()
    assert _count(stack, address) == 0
    assert _book(stack, address, start, therapists[0], key).status == 201


def test_sqlite_held_write_lock_makes_a_booking_answer_503_after_the_busy_timeout(
    stack_factory,
):
    stack = stack_factory(
        "sqlite", web_workers=2, settings={"FLASK_SQLITE_BUSY_TIMEOUT_MS": "1500"}
    )
    start, therapists = stack.free_starts()[0]
    address = "sqlite-locked@realstack.example.org"
    key = f"lock-{uuid.uuid4().hex[:16]}"
    holder = sqlite3.connect(make_url(stack.url).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer keeps the one write lock
        answer = _book(stack, address, start, therapists[0], key)
        _assert_apps_503(answer, json=True)
        assert "nothing was saved" in answer.json()["error"]["message"]
        # Readers go on meanwhile (WAL).
        assert request(stack.port, "GET", "/api/v1/services").status == 200
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert _count(stack, address) == 0
    assert _book(stack, address, start, therapists[0], key).status == 201


def test_a_worker_killed_between_delivery_and_recording_leaves_no_dead_link(stack_factory):
    stack = stack_factory(
        "sqlite",
        web_workers=2,
        settings={"FLASK_MAIL_CLAIM_LEASE_SECONDS": "3"},
    )
    worker = stack.workers[0]
    killed = threading.Event()
    address = "killed-worker@realstack.example.org"

    def kill_the_worker(message: bytes) -> None:
        # The sink has the message; the worker dies before hearing "250" and recording it.
        # Only for this test's booking: the demo clinic queues mail of its own, which is
        # let through with the (one-shot) hook set again.
        if address.encode() not in message:
            stack.sink.on_data = kill_the_worker
            return
        os.kill(worker.pid, signal.SIGKILL)
        killed.set()

    stack.sink.on_data = kill_the_worker
    start, therapists = stack.free_starts()[0]
    answer = _book(stack, address, start, therapists[0], f"kill-{uuid.uuid4().hex[:16]}")
    assert answer.status == 201, answer.body[:300]
    public_id = answer.json()["booking"]["public_id"]
    stack.wait_for(killed.is_set, 60, "the first copy to reach the sink")
    worker.wait(timeout=10)
    assert (
        stack.scalar("SELECT status FROM outbox_messages WHERE to_address = :a", a=address)
        != "sent"
    )

    stack.start_worker()  # after its lease runs out, the message is sent again
    stack.wait_for(
        lambda: (
            stack.scalar("SELECT status FROM outbox_messages WHERE to_address = :a", a=address)
            == "sent"
        ),
        60,
        "the resend to be recorded",
    )
    copies = [m for m in stack.sink.copies() if address in m["To"]]
    assert len(copies) == 2
    assert len({m["Message-ID"] for m in copies}) == 1  # mail clients show one
    for copy in copies:
        tokens = manage_tokens(copy)
        assert tokens, "every copy carries a manage link"
        for token in tokens:
            page = request(stack.port, "GET", f"/manage/{token}")
            assert page.status == 200, page.status
            same = request(stack.port, "GET", f"/api/v1/bookings/{token}")
            assert same.json()["booking"]["public_id"] == public_id
