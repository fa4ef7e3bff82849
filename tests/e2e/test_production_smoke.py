"""The production stack: gunicorn (2 workers) on PostgreSQL, rate limits in Redis, the
worker beside it; one booking end to end over HTTP, and ``flask booking check`` agreeing.

Uses the PostgreSQL named by ``BOOKING_TEST_DATABASE_URL`` (default: the machine's local
server, as ``make test-pg`` does) and Redis at ``BOOKING_TEST_REDIS_URL`` (default
redis://127.0.0.1:6379/15); skipped, saying which, when either is not reachable.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import (
    PHONE,
    _fresh_postgres,
    manage_link,
    start_server,
    stop_server,
)
from tests.e2e.flows import book, new_email

PG_URL = (
    os.environ.get("BOOKING_TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BOOKING_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {error}")
    client.flushdb()
    try:
        database_url, drop = _fresh_postgres(PG_URL)
    except Exception as error:
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {error}")
    running = start_server(
        tmp_path_factory.mktemp("production"),
        database_url=database_url,
        extra_env={"FLASK_RATELIMIT_STORAGE_URI": REDIS_URL},
    )
    yield running, client
    stop_server(running)
    drop()
    client.flushdb()
    client.close()


def test_smoke_booking_on_postgresql_and_redis(browser, production, request):
    server, redis_client = production
    assert server.database_url.startswith("postgresql")
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        email = new_email("smoke")
        book(page, name="Sol Smoke", email=email)
        assert page.get_by_role("heading", level=1).inner_text() == "You're booked"
        ref = page.url.rsplit("/", 1)[-1]
        assert server.sql("SELECT status FROM bookings WHERE public_id = :r", r=ref) == [
            ("confirmed",)
        ]
        page.goto(manage_link(server.wait_for_email(email, "booked")))
        page.get_by_text("Confirmed", exact=True).wait_for()

        # A refused sign-in is counted in Redis, shared by both gunicorn workers.
        page.goto("/staff/login")
        page.fill("#email", "nobody@example.org")
        page.fill("#password", "wrong password, twelve+")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert redis_client.keys("LIMIT*"), redis_client.keys("*")
    finally:
        page.screenshot(path=_artifact(request), full_page=True)
        context.close()

    report = server.flask(
        "booking",
        "check",
        expect_failure=True,  # no SMTP and plain HTTP here: those two must say FAIL
    )
    assert re.search(r"OK +database .*migrated to head", report), report
    assert re.search(r"OK +rate-limit storage .*answered PING", report), report
    assert re.search(r"OK +secret key", report), report
    assert re.search(r"FAIL https", report), report


def _artifact(request) -> str:
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"{request.node.name}.png")
