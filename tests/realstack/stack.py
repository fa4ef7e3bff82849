"""Start the service as it is deployed and talk to it over loopback.

A ``Stack`` is a scratch database (a SQLite file, or a PostgreSQL database of its own),
migrated and seeded with the demo clinic by the real CLI; gunicorn (or ``flask run``) and
one or more ``flask booking worker`` processes; and an aiosmtpd sink that keeps every
message. Every port is a free one, so stacks of several checkouts run side by side.
"""

from __future__ import annotations

import contextlib
import email
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import bindparam, create_engine, make_url, text
from sqlalchemy.engine import Engine

from booking.models.types import UTCDateTime

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SERVICE = "therapeutic-back-massage"
MANAGE_LINK = re.compile(rb"/manage/([A-Za-z0-9_-]{20,})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_base_url() -> str:
    return os.environ.get("BOOKING_TEST_DATABASE_URL") or PG_DEFAULT


def postgres_reachable() -> bool:
    url = make_url(postgres_base_url())
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# SMTP sink
# --------------------------------------------------------------------------------------------


@dataclass
class Sink:
    """An aiosmtpd handler that keeps every message; ``on_data`` may act before the reply."""

    messages: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_data: Callable[[bytes], None] | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages.append(envelope.original_content)
            hook, self.on_data = self.on_data, None
        if hook is not None:
            hook(envelope.original_content)
        return "250 Message accepted"

    def copies(self) -> list[email.message.Message]:
        with self.lock:
            return [email.message_from_bytes(raw) for raw in self.messages]


def manage_tokens(message: email.message.Message) -> set[str]:
    found: set[str] = set()
    for part in message.walk():
        # The letter's own parts; the calendar attachment folds long lines mid-token.
        if part.get_content_type() in ("text/plain", "text/html"):
            found.update(t.decode() for t in MANAGE_LINK.findall(part.get_payload(decode=True)))
    return found


# --------------------------------------------------------------------------------------------
# A PostgreSQL proxy that can cut a connection at a chosen moment
# --------------------------------------------------------------------------------------------


class CuttingProxy:
    """Forward TCP to PostgreSQL; when armed, drop a connection at a chosen message.

    ``arm_commit_after_insert(forward)``: on the first COMMIT sent by a connection that
    inserted into ``bookings``, either forward it and wait for the server's answer before
    cutting (the commit lands, the client never hears so), or cut without forwarding (the
    transaction is rolled back by the server). ``arm_on(pattern)``: cut the connection that
    next sends ``pattern``, before forwarding it.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._lock = threading.Lock()
        self._mode: tuple | None = None
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def arm_commit_after_insert(self, *, forward: bool) -> None:
        with self._lock:
            self._mode = ("commit", forward)

    def arm_on(self, pattern: bytes) -> None:
        with self._lock:
            self._mode = ("pattern", pattern)

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            state = {"inserted": False, "mute": threading.Event(), "answered": threading.Event()}
            threading.Thread(
                target=self._upstream, args=(client, server, state), daemon=True
            ).start()
            threading.Thread(
                target=self._downstream, args=(server, client, state), daemon=True
            ).start()

    def _decide(self, data: bytes, state: dict) -> str:
        """Return "pass", "cut" (before forwarding) or "cut_after" for this chunk."""
        with self._lock:
            mode = self._mode
            if b"INSERT INTO bookings" in data:
                state["inserted"] = True
            ends = b"COMMIT" in data or b"ROLLBACK" in data
            if mode is not None and mode[0] == "pattern" and mode[1] in data:
                self._mode = None
                self.cuts += 1
                return "cut"
            if mode is not None and mode[0] == "commit" and state["inserted"] and b"COMMIT" in data:
                self._mode = None
                self.cuts += 1
                return "cut_after" if mode[1] else "cut"
            if ends:
                state["inserted"] = False
            return "pass"

    def _upstream(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        try:
            while data := client.recv(65536):
                action = self._decide(data, state)
                if action == "cut":
                    break
                if action == "cut_after":
                    state["mute"].set()  # the client never hears the server's answer
                    server.sendall(data)
                    state["answered"].wait(5)  # the server has committed
                    break
                server.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _downstream(self, server: socket.socket, client: socket.socket, state: dict) -> None:
        try:
            while data := server.recv(65536):
                if state["mute"].is_set():
                    state["answered"].set()
                    continue
                client.sendall(data)
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """One request on a fresh connection; a dropped connection is status 0."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, {}, repr(error).encode())
    finally:
        conn.close()


FINE_SCREEN: dict | None = None


def fine_screen() -> dict:
    global FINE_SCREEN
    if FINE_SCREEN is None:
        from tests.support.screens import fine

        FINE_SCREEN = fine().to_data()
    return FINE_SCREEN


def booking_body(email_address: str, start: str, therapist: str | None) -> dict:
    body = {
        "service": SERVICE,
        "duration": 60,
        "start": start,
        "name": "Realstack Patient",
        "email": email_address,
        "phone": "07700 900123",
        "over_18": True,
        "agree_policy": True,
        "screen_consent": True,
        "screen": fine_screen(),
    }
    if therapist:
        body["therapist"] = therapist
    return body


# --------------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------------


class Stack:
    """The deployed service on a scratch database; ``close()`` stops and removes it all."""

    def __init__(
        self,
        backend: str,
        folder: Path,
        *,
        server: str = "gunicorn",
        web_workers: int = 3,
        mail_workers: int = 1,
        via_proxy: bool = False,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.backend = backend
        self.folder = folder
        self.server_kind = server
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self._drop_database: Callable[[], None] | None = None
        self.proxy: CuttingProxy | None = None
        self.sink = Sink()
        self._smtp = Controller(self.sink, hostname="127.0.0.1", port=free_port())
        self._smtp.start()
        self.port = free_port()
        self.url = self._database()
        app_url = self.url
        if via_proxy:
            real = make_url(self.url)
            self.proxy = CuttingProxy(real.port or 5432)
            app_url = real.set(port=self.proxy.port).render_as_string(hide_password=False)
        self.env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "BOOKING_INSTANCE_PATH": str(folder),
            "FLASK_SQLALCHEMY_DATABASE_URI": app_url,
            "FLASK_SECRET_KEY": secrets.token_hex(32),
            "FLASK_DATA_ENCRYPTION_KEYS": _fernet_key(),
            "FLASK_RATELIMIT_ENABLED": "false",  # every client here shares one address
            "FLASK_MAIL_SERVER": "127.0.0.1",
            "FLASK_MAIL_PORT": str(self._smtp.port),
            "FLASK_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "FLASK_WORKER_POLL_SECONDS": "0.5",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(web_workers),
            **(settings or {}),
        }
        self.env.pop("BOOKING_TEST_DATABASE_URL", None)
        self.log_path = folder / "stack.log"
        self._log = self.log_path.open("ab")
        try:
            self._cli("db", "upgrade")
            self._cli("booking", "seed-demo")
            self._end_the_demo_waitlist()
            self._start_server()
            for _ in range(mail_workers):
                self.start_worker()
        except BaseException:
            self.close()
            raise

    # -- setting up ---------------------------------------------------------------------

    def _database(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / 'booking.sqlite3'}"
        base = make_url(postgres_base_url())
        name = f"realstack_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        self._drop_database = drop
        return base.set(database=name).render_as_string(hide_password=False)

    def _end_the_demo_waitlist(self) -> None:
        # The worker offers any free time that fits a waiting entry, so with the demo's
        # entries waiting it would reserve a start a test has just read as free.
        engine = self.engine()
        try:
            with engine.begin() as conn:
                ending = text(
                    "UPDATE waitlist_entries SET ended_at = :now WHERE ended_at IS NULL"
                ).bindparams(bindparam("now", type_=UTCDateTime()))
                conn.execute(ending, {"now": datetime.now(UTC)})
        finally:
            engine.dispose()

    def _cli(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=self._log,
            stderr=self._log,
            timeout=120,
        )

    def _start_server(self) -> None:
        if self.server_kind == "gunicorn":
            command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        else:  # the development server, threaded, as `make run` starts it
            command = [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(self.port)]
        self.server = self._spawn(command)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: see {self.log_path}")
            if request(self.port, "GET", "/healthz", timeout=2).status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not come up: see {self.log_path}")

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn([str(BIN / "flask"), "booking", "worker"])
        self.workers.append(worker)
        return worker

    # -- using it -----------------------------------------------------------------------

    def engine(self) -> Engine:
        return create_engine(self.url)

    def scalar(self, sql: str, **params):
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def rows(self, sql: str, **params) -> list:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def free_starts(self, days: int = 14) -> list[tuple[str, list[str]]]:
        """Free (start, therapists) from the API, from tomorrow on, in time order."""
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
        last = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400 * days))
        answer = request(
            self.port,
            "GET",
            f"/api/v1/availability?service={SERVICE}&duration=60&from={today}&to={last}",
        )
        assert answer.status == 200, answer.body[:300]
        return [(s["start"], s["therapists"]) for s in answer.json()["slots"] if s["therapists"]]

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"gave up waiting {seconds:g} s for {what}")

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._smtp.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self._drop_database is not None:
            self._drop_database()
        self._log.close()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def overlaps(stack: Stack) -> int:
    """Pairs of blocking bookings that share a therapist or a room at the same time."""
    live = "status IN ('confirmed', 'held')"
    return stack.scalar(
        f"""
        SELECT count(*) FROM bookings a JOIN bookings b
          ON a.id < b.id
         AND (a.therapist_id = b.therapist_id OR a.room_id = b.room_id)
         AND a.starts_at < b.busy_until AND b.starts_at < a.busy_until
        WHERE a.{live} AND b.{live}
        """
    )
