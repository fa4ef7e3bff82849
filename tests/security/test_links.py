"""Absolute links come from configuration only: a Host header never changes one.

API answers, the done page, emails and calendar files link to ``PUBLIC_BASE_URL``; a
production start without it is refused; in development the link follows the port really
served (``make run PORT=5201`` hands it to the web server and the worker alike).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from booking import ConfigurationError, clock, create_app
from booking.extensions import db
from booking.notify.settings import public_url
from booking.notify.transport import mail_dir
from booking.worker.delivery import deliver_due
from tests.conftest import DEFAULT_NOW, empty_database
from tests.web.flow import MANAGE_RE, book_through_the_flow
from tests.web.test_api_bookings import valid

BASE = "https://book.clinic.example"
HOSTILE_HOSTS = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(make_app):
    """An app with a public base URL and no SERVER_NAME, so any Host is served."""
    from booking.demo import seed_demo

    app = make_app(SERVER_NAME=None, PUBLIC_BASE_URL=BASE)
    with app.app_context(), clock.frozen(DEFAULT_NOW):
        seed_demo(now=DEFAULT_NOW, with_bookings=False)
        yield app
        db.session.rollback()
        empty_database()


def test_the_api_manage_url_ignores_the_host_header(configured):
    client = configured.test_client()
    response = client.post(
        "/api/v1/bookings",
        data=json.dumps(valid()),
        content_type="application/json",
        headers=HOSTILE_HOSTS,
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert response.get_json()["manage_url"].startswith(f"{BASE}/manage/")
    assert "evil.example" not in response.get_data(as_text=True)


def test_the_done_page_email_and_calendar_link_to_the_configured_site(configured):
    client = configured.test_client()
    client.environ_base.update({"HTTP_HOST": "evil.example"})
    done, _ = book_through_the_flow(client)
    page = done.get_data(as_text=True)
    assert f'href="{BASE}/manage/' in page
    assert "evil.example" not in page
    manage_path = MANAGE_RE.search(page).group(1)
    ics = client.get(f"{manage_path}/calendar.ics")
    assert ics.status_code == 200
    assert b"evil.example" not in ics.data and f"{BASE}/manage/".encode() in ics.data.replace(
        b"\r\n ", b""
    )
    for old in mail_dir().glob("*.eml"):
        old.unlink()
    assert deliver_due(DEFAULT_NOW + timedelta(seconds=5))["sent"] == 1
    (eml,) = mail_dir().glob("*.eml")
    raw = eml.read_bytes()
    eml.unlink()
    assert b"evil.example" not in raw
    assert f"{BASE}/manage/".encode() in raw


def production_env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("FLASK_DATA_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("FLASK_PUBLIC_BASE_URL", raising=False)


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, tmp_path):
    production_env(monkeypatch, tmp_path)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL is not set"):
        create_app()
    monkeypatch.setenv("FLASK_PUBLIC_BASE_URL", BASE)
    assert create_app().config["PUBLIC_BASE_URL"] == BASE


@pytest.mark.parametrize(
    "base",
    [
        "javascript:alert(1)",
        "book.clinic.example",
        "https://book.clinic.example/some/path",
        "https://book.clinic.example/?x=1",
        "https://book.clinic.example\r\nX-Injected: 1",
        "https://book.clinic.example evil",
    ],
)
def test_a_public_base_url_that_is_not_a_bare_origin_is_refused(monkeypatch, tmp_path, base):
    production_env(monkeypatch, tmp_path)
    monkeypatch.setenv("FLASK_PUBLIC_BASE_URL", json.dumps(base))
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL must be"):
        create_app()


def test_without_a_base_url_development_links_follow_the_served_port(make_app, monkeypatch):
    monkeypatch.setenv("PORT", "5201")
    app = make_app(SERVER_NAME=None)
    with app.app_context():
        assert public_url("/manage/x") == "http://127.0.0.1:5201/manage/x"


FAKE_FLASK = """#!/bin/sh
# Stands in for flask: records what make gave it, then exits as a server would on Ctrl-C.
# The server waits (at most 5 s) for the worker started beside it to have recorded too:
# make kills the worker as soon as the server exits.
case "$1" in run|-c)
  i=0; while ! grep -q '^booking worker' "$RECORD" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.05; i=$((i+1)); done;;
esac
printf '%s|%s|%s\\n' "$*" "$FLASK_PUBLIC_BASE_URL" "$PORT" >> "$RECORD"
"""


@pytest.mark.parametrize("target", ["run", "serve"])
def test_make_hands_the_served_port_to_the_web_server_and_the_worker(tmp_path, target):
    """``make run PORT=5201``: both processes are told the links live on port 5201."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("pyproject.toml", "requirements.lock"):  # what .installed depends on
        if (PROJECT / name).exists():
            shutil.copy(PROJECT / name, tmp_path / name)
    (venv / ".installed").touch()  # newer than pyproject.toml: make installs nothing
    for tool in ("flask", "gunicorn"):
        script = venv / "bin" / tool
        script.write_text(FAKE_FLASK)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (venv / "bin" / "python").symlink_to(sys.executable)
    record = tmp_path / "record.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_PUBLIC_BASE_URL", "PORT")}
    env["RECORD"] = str(record)
    result = subprocess.run(
        ["make", "-s", "-f", str(PROJECT / "Makefile"), target, "PORT=5201", f"VENV={venv}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    calls = [line.split("|") for line in record.read_text().splitlines()]
    servers = [c for c in calls if c[0].startswith(("run", "-c"))]
    workers = [c for c in calls if c[0] == "booking worker"]
    assert servers and workers, calls
    for _args, base, port in servers + workers:
        assert base == "http://127.0.0.1:5201"
        assert port == "5201"
    if target == "run":
        assert "--port 5201" in servers[0][0]
