"""Real servers for the hostile suite: gunicorn as production runs it, and Werkzeug's
development server as ``make run`` does, each on a free port."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.serving import make_server

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    log: Path | None = None

    def request(self, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(
                method, path, body=body, headers={"Connection": "close", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""


@contextlib.contextmanager
def gunicorn(database_url: str, tmp_path: Path, **settings: str) -> Iterator[Server]:
    """``gunicorn -c gunicorn.conf.py`` (one worker) on the test database, logs to a file."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "FLASK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_DATA_ENCRYPTION_KEYS": json.dumps(Fernet.generate_key().decode()),
        "FLASK_SQLALCHEMY_DATABASE_URI": json.dumps(database_url),
        "BOOKING_INSTANCE_PATH": str(tmp_path),
        **settings,
    }
    env.pop("FLASK_TESTING", None)
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(port, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.logs()[-2000:]}")
            try:
                if server.request("GET", "/healthz")[0] < 500:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not answer within 30 s") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def development_server(app: Flask) -> Iterator[Server]:
    """Werkzeug's threaded development server (what ``flask run`` serves with)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
