"""Rate limits hold across gunicorn workers: the counters live in Redis, not in a worker.

Two gunicorn workers serve the real ``wsgi:app`` with Redis storage and a low token look-up
budget; twelve look-ups over fresh connections (so the kernel hands them to both workers)
get exactly the budget before every answer is a 429 with ``Retry-After``. Only this test's
own keys (a unique prefix in Redis database 7) are removed afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

# Gunicorn workers read the test's data from their own connections.
pytestmark = pytest.mark.committed

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 7
BUDGET = 5
REQUESTS = 12


def redis_client():
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=2)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} ({error})")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> http.client.HTTPResponse:
    # A new connection per request, so the workers share the load between them.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    """Wait until both workers have booted and the server answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        booted = log.read_text(errors="replace").count("Booting worker")
        try:
            if booted >= 2 and get(port, "/healthz").status < 500:
                time.sleep(0.5)  # let the second worker finish importing the app
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within 30 s")


@pytest.fixture
def two_workers(database_url: str, tmp_path):
    redis = redis_client()
    prefix = "booking-test-" + secrets.token_hex(6)
    port = free_port()
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "FLASK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_DATA_ENCRYPTION_KEYS": json.dumps(Fernet.generate_key().decode()),
        "FLASK_SQLALCHEMY_DATABASE_URI": json.dumps(database_url),
        "FLASK_RATELIMIT_STORAGE_URI": json.dumps(f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"),
        "FLASK_RATELIMIT_KEY_PREFIX": json.dumps(prefix),
        "FLASK_TOKEN_LOOKUP_LIMIT_PER_ADDRESS": json.dumps(f"{BUDGET} per minute"),
        "BOOKING_INSTANCE_PATH": str(tmp_path),
    }
    env.pop("FLASK_TESTING", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    access = tmp_path / "access.log"
    process = subprocess.Popen(
        [
            str(GUNICORN),
            *("-w", "2", "-b", f"127.0.0.1:{port}"),
            *("--access-logfile", str(access), "--access-logformat", "%(p)s %(U)s %(s)s"),
            "wsgi:app",
        ],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(process, port, tmp_path / "gunicorn.log")
        yield port, redis, prefix, access
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        for key in redis.scan_iter(match=f"*{prefix}*"):
            redis.delete(key)


def workers_that_answered(access: Path) -> set[str]:
    """The process ids that answered a manage look-up, from gunicorn's access log."""
    lines = access.read_text().splitlines() if access.exists() else []
    return {line.split()[0] for line in lines if " /manage/" in line}


def test_token_lookups_are_limited_across_two_workers_with_redis(two_workers):
    port, redis, prefix, access = two_workers
    answers = [get(port, "/manage/" + secrets.token_urlsafe(24)) for _ in range(REQUESTS)]
    # Keep knocking (each one must be refused) until both workers have answered some.
    while len(workers_that_answered(access)) < 2 and len(answers) < 60:
        time.sleep(0.05)
        answers.append(get(port, "/manage/" + secrets.token_urlsafe(24)))
    assert len(workers_that_answered(access)) == 2, "one worker served every request"
    statuses = [answer.status for answer in answers]
    assert statuses[:BUDGET] == [404] * BUDGET, statuses
    assert statuses[BUDGET:] == [429] * (len(answers) - BUDGET), statuses
    for answer in answers[BUDGET:]:
        assert int(answer.headers["Retry-After"]) > 0
    # The counter is in Redis under this run's prefix (not in either worker's memory).
    assert any(True for _ in redis.scan_iter(match=f"*{prefix}*"))
