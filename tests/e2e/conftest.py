"""Browser tests: the app under gunicorn (2 workers) with its worker, driven by Chromium.

Run by ``make e2e`` (and so ``make test-all``); ``make test`` ignores this folder. Needs
Debian's Chromium at /usr/bin/chromium (``make e2e`` installs it when missing; no browser is
ever downloaded) and the ``e2e`` extra (Playwright for Python). The server gets a temp
instance folder, a random secret key and a fresh database: a SQLite file, or a new
PostgreSQL database on the server named by ``BOOKING_TEST_DATABASE_URL``. Each test's last
page is saved to ``test-artifacts/e2e/<test>.png``, the server's logs to
``test-artifacts/e2e/logs/``.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BOOKING_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
STAFF_EMAIL = "reception@spineandease.example"
STAFF_PASSWORD = "e2e-" + secrets.token_urlsafe(16)
MANAGE_LINK = re.compile(r"https?://[^\s\"'<>]+/manage/[A-Za-z0-9_-]+")

pytestmark = pytest.mark.e2e

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip(
        f"{CHROMIUM} is missing: run `make e2e`, which installs Debian's chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is missing: pip install -e '.[e2e]'"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


@dataclass
class Server:
    """The app under gunicorn, its worker, and where to find what they wrote."""

    url: str
    instance: Path
    database_url: str
    env: dict
    processes: list = field(default_factory=list)
    logs: list = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.instance / "mail"

    def flask(self, *args: str, extra_env: dict | None = None, expect_failure=False) -> str:
        """Run ``flask ARGS`` with the server's settings; return its output."""
        result = subprocess.run(
            [_bin("flask"), *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = result.stdout + result.stderr
        assert (result.returncode != 0) == expect_failure, f"flask {' '.join(args)}: {output}"
        return output

    def emails(self) -> list:
        if not self.mail_dir.is_dir():
            return []
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.mail_dir.glob("*.eml"))
        ]

    def wait_for_email(self, to: str, kind: str | None = None, timeout: float = 20.0):
        """The newest email to ``to`` (whose file name mentions ``kind``), once written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.mail_dir.is_dir():
                for path in sorted(self.mail_dir.glob("*.eml"), reverse=True):
                    if kind and kind not in path.name:
                        continue
                    message = message_from_bytes(path.read_bytes(), policy=policy.default)
                    if to.lower() in str(message["To"]).lower():
                        return message
            time.sleep(0.25)
        names = (
            sorted(p.name for p in self.mail_dir.glob("*.eml")) if self.mail_dir.is_dir() else []
        )
        raise AssertionError(f"no {kind or ''} email to {to} within {timeout}s; have {names}")

    def sql(self, query: str, **params):
        """Run one read-only query against the server's database; returns all rows."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(query), params).all()
        finally:
            engine.dispose()


def manage_link(message) -> str:
    """The manage URL in an email (text part first)."""
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found = MANAGE_LINK.search(part.get_content())
            if found:
                return found.group(0)
    raise AssertionError("no manage link in the email")


def _wait_until_up(url: str, processes: list, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /healthz within {timeout}s")


def _fresh_postgres(base_url: str) -> tuple[str, object]:
    """Create an empty database beside ``base_url``'s; return its URL and a drop function."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "booking_e2e_" + secrets.token_hex(4)
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def start_server(tmp: Path, *, database_url: str | None = None, extra_env: dict | None = None):
    """Migrate, seed, create the reception account, start gunicorn and the worker."""
    instance = tmp / "instance"
    instance.mkdir(parents=True)
    database_url = database_url or f"sqlite:///{instance / 'booking.sqlite3'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "BOOKING_", "PYTEST_"))
    }
    env.update(
        {
            "FLASK_APP": "wsgi",
            "FLASK_SECRET_KEY": secrets.token_hex(32),
            # A Fernet key (32 random bytes, url-safe base64) for health data at rest.
            "FLASK_DATA_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "BOOKING_INSTANCE_PATH": str(instance),
            "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
            "FLASK_PUBLIC_BASE_URL": url,
            "FLASK_WORKER_POLL_SECONDS": "1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
            # The server runs on the real clock. From a Friday evening a 48-hour hold ends
            # before any weekday's opening hours, so a held patient is offered no start
            # at all (DOMAIN.md); four days reach the next working day from any evening.
            "FLASK_HOLD_MAX_HOURS_AFTER_BOOKING": "96",
        }
    )
    env.update(extra_env or {})
    server = Server(url=url, instance=instance, database_url=database_url, env=env)
    server.flask("db", "upgrade")
    server.flask("booking", "seed-demo")
    server.flask(
        "booking", "create-staff", "--email", STAFF_EMAIL, "--name", "Robin Front",
        "--role", "reception", extra_env={"BOOKING_STAFF_PASSWORD": STAFF_PASSWORD},
    )  # fmt: skip
    for name, command in (
        ("gunicorn", [_bin("gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]),
        ("worker", [_bin("flask"), "booking", "worker"]),
    ):
        logs = ARTIFACTS / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{tmp.name}-{name}.log", "w")  # noqa: SIM115 - closed in stop_server
        server.logs.append(log)
        server.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    _wait_until_up(url, server.processes)
    _wait_for_outbox_drained(server)
    return server


def _wait_for_outbox_drained(server: Server, timeout: float = 30.0) -> None:
    """Ready means the worker has sent what the demo seed queued (its reminders)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.sql("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")[0][0]:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not drain the outbox within {timeout}s")


def stop_server(server: Server) -> None:
    for process in server.processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in server.processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in server.logs:
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-server")
    base = os.environ.get("BOOKING_TEST_DATABASE_URL")
    drop = None
    database_url = None
    if base and base.startswith("postgresql"):
        database_url, drop = _fresh_postgres(base)
    running = start_server(tmp, database_url=database_url)
    yield running
    stop_server(running)
    if drop is not None:
        drop()


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _artifact_name(request) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture
def page(browser, server, request):
    """A fresh phone-sized browser context; its last page is saved as a screenshot."""
    context = browser.new_context(viewport=PHONE, base_url=server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request)}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def desktop_page(browser, server, request):
    """A desktop-sized context (the reception works on a desk)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request)}.png"), full_page=True)
    finally:
        context.close()


def snap(page, name: str) -> None:
    """Save the visible part of the page as test-artifacts/e2e/tour-<name>.png (README tour)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tour-{name}.png"))


def axe_violations(page) -> list[dict]:
    """Run axe-core (from node_modules) on the page at WCAG 2.2 AA; return its violations."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (make e2e does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Page scripts are bound by the app's Content-Security-Policy (no inline script),
        # so axe is evaluated through the DevTools protocol, which the CSP does not govern.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert result["passes"], f"axe checked nothing on {page.url}"
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe violations on {page.url}: {violations}"
