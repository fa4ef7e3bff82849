"""Error pages carry a reference and never a traceback; a database that is down is a 503;
logs are JSON lines with the request id and no tokens."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3

import pytest
from flask import Flask, abort
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from booking import clock
from booking.extensions import db
from booking.logs import JsonHandler, mask_tokens
from booking.models import BookingDraft, StaffRole
from booking.security import TOKEN_PATH
from tests.security import booking_with_token
from tests.support.database import DEFAULT_NOW, empty_database
from tests.web.test_reception_guard import PASSWORD, make_staff, signed_in_client

CODES = [400, 403, 404, 405, 409, 413, 429, 500, 503]
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def raising_app(make_app) -> Flask:
    """An app with extra routes that fail with each code, as HTML and as API JSON."""
    app = make_app()

    def fail(code: int):
        if code == 500:
            raise RuntimeError("secret internals")
        if code == 503:
            raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
        abort(code)

    app.add_url_rule("/test-error/<int:code>", "test_error", fail)
    app.add_url_rule("/api/test-error/<int:code>", "api_test_error", fail)
    return app


def assert_friendly(response, code: int) -> None:
    assert response.status_code == code
    page = response.get_data(as_text=True)
    reference = response.headers["X-Request-ID"]
    assert f"<code>{reference}</code>" in page, page[-800:]
    assert 'class="site-header"' in page
    for leak in ("Traceback", "secret internals", "sqlite3", "SELECT"):
        assert leak not in page


@pytest.mark.parametrize("code", CODES)
def test_each_error_page_is_friendly_and_gives_the_reference(make_app, code):
    client = raising_app(make_app).test_client()
    assert_friendly(client.get(f"/test-error/{code}"), code)


@pytest.mark.parametrize("code", CODES)
def test_each_api_error_is_json_with_the_request_id(make_app, code):
    client = raising_app(make_app).test_client()
    response = client.get(f"/api/test-error/{code}")
    assert response.status_code == code
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "secret internals" not in response.get_data(as_text=True)


def test_real_errors_have_friendly_pages(app: Flask, client, demo):
    assert_friendly(client.get("/no-such-page"), 404)
    assert_friendly(client.delete("/"), 405)
    assert "GET" in client.delete("/").headers["Allow"]
    reception = signed_in_client(app, StaffRole.RECEPTION)
    assert_friendly(reception.get("/reception/admin/"), 403)


def test_a_csrf_failure_is_a_friendly_400(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/staff/login", data={"email": "a@b.c", "password": "x"})
    assert_friendly(response, 400)
    assert "expired" in response.get_data(as_text=True)


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(client):
    given = client.get("/no-such-page", headers={"X-Request-ID": "edge-proxy-42"})
    assert given.headers["X-Request-ID"] == "edge-proxy-42"
    assert "edge-proxy-42" in given.get_data(as_text=True)
    for bad in ("<script>", "a" * 65, "id with spaces", "x\u00e9"):
        response = client.get("/no-such-page", headers={"X-Request-ID": bad})
        assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
    first, second = client.get("/"), client.get("/")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


# --- The database is down or locked ---------------------------------------------------------


def assert_unavailable(response, *, api: bool = False) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    if api:
        assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]
    else:
        assert_friendly(response, 503)


def unreachable_urls(tmp_path) -> list[str]:
    return [
        f"sqlite:///{tmp_path / 'missing' / 'folder' / 'booking.sqlite3'}",
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2",
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["sqlite-missing-folder", "postgres-refused"])
def test_an_unreachable_database_is_a_503(make_app, tmp_path, which):
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable_urls(tmp_path)[which])
    client = app.test_client()
    assert_unavailable(client.get("/services"))
    assert_unavailable(client.get("/api/v1/services"), api=True)


def drafts_count() -> int:
    db.session.rollback()
    count = db.session.scalar(select(func.count()).select_from(BookingDraft))
    db.session.rollback()  # end the read, so the lock below is not waiting for it
    return count


@pytest.mark.committed
def test_a_locked_database_is_a_503_and_nothing_is_written(make_app, database_url, demo):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        app = make_app(SQLITE_BUSY_TIMEOUT_MS=100)
        locker = sqlite3.connect(url.database, isolation_level=None)
        lock, unlock = "BEGIN EXCLUSIVE", "ROLLBACK"
    else:
        app = make_app(
            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=200"}}
        )
        locker = create_engine(url, poolclass=NullPool).raw_connection()
        lock, unlock = "BEGIN; LOCK TABLE booking_drafts IN ACCESS EXCLUSIVE MODE", "ROLLBACK"
    before = drafts_count()
    cursor = locker.cursor()
    for statement in lock.split("; "):
        cursor.execute(statement)
    try:
        with app.app_context():
            client = app.test_client()
            # Choosing a treatment saves the draft: a write.
            response = client.post("/book/", data={"option": "swedish-massage:60"})
            assert_unavailable(response)
            db.session.remove()
    finally:
        cursor.execute(unlock)
        locker.close()
    assert drafts_count() == before


def test_a_mistake_in_a_query_is_still_a_500(make_app):
    app = make_app()

    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/test-broken", "test_broken", broken)
    response = app.test_client().get("/test-broken")
    assert_friendly(response, 500)


# --- Logs -----------------------------------------------------------------------------------


@pytest.fixture
def json_logs(make_app):
    """An app logging JSON; yields it and a function returning the lines so far."""
    app = make_app(LOG_JSON=True)
    root = logging.getLogger()
    level = root.level
    handler = next(h for h in root.handlers if isinstance(h, JsonHandler))
    stream = io.StringIO()
    handler.setStream(stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    with app.app_context():
        try:
            yield app, lines
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            db.session.rollback()
            empty_database()


def test_the_test_app_does_not_log_json_unless_asked(make_app):
    before = [h for h in logging.getLogger().handlers if isinstance(h, JsonHandler)]
    make_app()
    assert [h for h in logging.getLogger().handlers if isinstance(h, JsonHandler)] == before


def test_log_lines_are_json_with_the_request_id_and_masked_tokens(json_logs):
    app, lines = json_logs
    _, token = booking_with_token()
    client = app.test_client()
    responses = [
        client.get(f"/manage/{token}"),
        client.get(f"/feeds/{token}.ics"),
        client.get(f"/api/v1/bookings/{token}"),
        client.get(f"/manage/{token}/calendar.ics"),
    ]
    logged = lines()
    assert logged
    raw = json.dumps(logged)
    assert token not in raw and token[:-1] not in raw
    access = [line for line in logged if line["logger"] == "booking.access"]
    assert [line["request_id"] for line in access] == [r.headers["X-Request-ID"] for r in responses]
    assert [line["path"] for line in access] == [
        "/manage/***",
        "/feeds/***.ics",
        "/api/v1/bookings/***",
        "/manage/***/calendar.ics",
    ]
    for line in access:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
        assert line["level"] == "INFO" and line["method"] == "GET"
        assert isinstance(line["status"], int) and line["duration_ms"] >= 0
        assert token not in line["message"]


def test_any_logger_mentioning_a_token_path_is_masked(json_logs):
    _, lines = json_logs
    token = "Zx" * 16
    logging.getLogger("somewhere.else").warning("GET /manage/%s/cancel HTTP/1.1", token)
    logging.getLogger("werkzeug").info('"GET /feeds/%s.ics HTTP/1.1" 200', token)
    assert token not in json.dumps(lines())
    assert mask_tokens(f"/api/v1/bookings/{token}/reschedule") == "/api/v1/bookings/***/reschedule"
    assert TOKEN_PATH.match(f"/manage/{token}")
    # A waitlist entry's link is a credential too.
    assert mask_tokens(f"/waitlist/{token}/offers/ab12") == "/waitlist/***/offers/ab12"
    assert TOKEN_PATH.match(f"/waitlist/{token}")
    # So is a follow-up form's.
    assert mask_tokens(f"GET /follow-up/{token} HTTP/1.1") == "GET /follow-up/*** HTTP/1.1"
    assert TOKEN_PATH.match(f"/follow-up/{token}")


def test_a_follow_up_link_is_never_referred_stored_or_indexed(app):
    answer = app.test_client().get("/follow-up/" + "Q" * 32)
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "noindex" in answer.headers["X-Robots-Tag"]


def events(lines) -> dict[str, dict]:
    return {line["event"]: line for line in lines() if "event" in line}


def test_security_events_are_logged_at_warning(json_logs, make_app):
    app, lines = json_logs
    make_staff(StaffRole.RECEPTION)
    client = app.test_client()
    client.get("/manage/" + "A" * 32)  # an invalid token
    client.post("/staff/login", data={"email": "reception@clinic.example", "password": "nope!"})
    signed_in = signed_in_client(app, StaffRole.THERAPIST)
    signed_in.get("/reception/admin/")  # denied
    found = events(lines)
    for name in ("token.invalid", "login.failed", "access.denied"):
        assert found[name]["level"] == "WARNING", name
        assert found[name]["request_id"]
    assert found["token.invalid"]["path"] == "/manage/***"
    raw = json.dumps(lines())
    assert "nope!" not in raw and PASSWORD not in raw and "A" * 32 not in raw


def test_csrf_failures_and_rate_limit_trips_are_logged(make_app):
    app = make_app(
        LOG_JSON=True,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        API_LIMIT_PER_ADDRESS="1 per hour",
    )
    root = logging.getLogger()
    level = root.level
    handler = next(h for h in root.handlers if isinstance(h, JsonHandler))
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        client = app.test_client()
        client.post("/staff/login", data={"email": "a@b.c", "password": "x"})
        client.get("/api/v1/openapi.json")
        client.get("/api/v1/openapi.json")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    found = {}
    for line in stream.getvalue().splitlines():
        entry = json.loads(line)
        if "event" in entry:
            found[entry["event"]] = entry
    assert found["csrf.failed"]["level"] == "WARNING"
    assert found["ratelimit.exceeded"]["level"] == "WARNING"
    assert found["ratelimit.exceeded"]["status"] == 429
