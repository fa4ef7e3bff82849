"""The floor for booking throughput: a WSGI app whose POST does one INSERT and a commit.

Not a benchmark itself (``make bench`` skips files starting with ``_``): booking_race.py
serves it with the same gunicorn settings as the real app and sends it the same requests,
so the ratio of the two rates says how much of a booking's cost is more than one write.
It parses the same JSON body and answers 201 with a small JSON document, as the API does.
"""

from __future__ import annotations

import json
import os

from sqlalchemy import create_engine, text

_engine = None


def _db():
    global _engine
    if _engine is None:  # made in each worker after the fork, never shared across processes
        url = os.environ["FLASK_SQLALCHEMY_DATABASE_URI"]
        _engine = create_engine(url, pool_pre_ping=True)
    return _engine


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    size = int(environ.get("CONTENT_LENGTH") or 0)
    payload = json.loads(environ["wsgi.input"].read(size) or b"{}")
    with _db().begin() as conn:
        new_id = conn.scalar(
            text("INSERT INTO bench_inserts (email, start) VALUES (:e, :s) RETURNING id"),
            {"e": payload.get("email", ""), "s": payload.get("start", "")},
        )
    body = json.dumps({"id": new_id}).encode()
    start_response("201 Created", [("Content-Type", "application/json")])
    return [body]
