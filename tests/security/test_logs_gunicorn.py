"""Logs under gunicorn, configured as production (``gunicorn -c gunicorn.conf.py``), carry
no token, no contact details and no health data, whatever a request holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from booking.demo import seed_demo
from booking.extensions import db
from tests.screens import severe
from tests.security.servers import gunicorn

CANARY_NOTE = "Zebrafinch-canary lumbar note"
NAME = "Quillon Canarysmith"
EMAIL = "quillon.canary@example.org"


@pytest.mark.committed  # the server process must see the seeded clinic
def test_gunicorn_logs_hold_no_token_and_no_health_data(app, database_url, tmp_path):
    seed_demo(now=datetime.now(UTC), with_bookings=False)
    db.session.commit()
    # The server runs on the real clock: a four-day hold reaches a working day from any
    # moment, where the default two days offer a held patient nothing from a Friday.
    with gunicorn(database_url, tmp_path, FLASK_HOLD_MAX_HOURS_AFTER_BOOKING="96") as server:
        today = datetime.now(UTC).date()
        status, _, body = server.request(
            "GET",
            "/api/v1/availability?service=therapeutic-back-massage&duration=60"
            # Six days on: past any hold's bound (four days to a working day, then one more).
            f"&from={today + timedelta(days=6)}&to={today + timedelta(days=20)}",
        )
        assert status == 200, body[:300]
        start = json.loads(body)["slots"][0]["start"]
        booking = {
            "service": "therapeutic-back-massage",
            "duration": 60,
            "start": start,
            "name": NAME,
            "email": EMAIL,
            "phone": "07700 900123",
            "note": CANARY_NOTE,
            "over_18": True,
            "agree_policy": True,
            "screen": severe().to_data(),
            "screen_consent": True,
        }
        status, _, body = server.request(
            "POST",
            "/api/v1/bookings",
            body=json.dumps(booking),
            headers={"Content-Type": "application/json"},
        )
        assert status == 201, body[:500]
        token = json.loads(body)["manage_url"].rsplit("/", 1)[1]
        for path in (f"/manage/{token}", f"/api/v1/bookings/{token}", f"/feeds/{token}.ics"):
            server.request("GET", path)
        server.request("GET", f"/manage/{token}?email={EMAIL}&x=" + "%0A" * 3)
        server.request(
            "POST",
            "/api/v1/bookings",
            body=b"{bad json",
            headers={"Content-Type": "application/json"},
        )
        logs = server.logs()
    assert "/manage/***" in logs  # the app logs its requests, the token masked
    for secret in (token, CANARY_NOTE, "Zebrafinch", NAME, "Canarysmith", EMAIL, "quillon"):
        assert secret not in logs, secret
    for word in ("pain_score", "red_flag", "lumbar"):
        assert word not in logs.lower(), word
