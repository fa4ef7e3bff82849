"""Structured logs: one JSON object per line, with the request id and tokens masked.

Every request gets an id: the caller's ``X-Request-ID`` when it is a safe token (at most
64 of ``A-Z a-z 0-9 -``), else a fresh one. It is echoed as ``X-Request-ID``, shown on
error pages as the reference to quote, and carried by every log line of the request.

No log line may hold health data, a password or a token. Views never log bodies; the
filter here masks the token in any path that carries one (``/manage/***``,
``/feeds/***.ics``, ``/api/v1/bookings/***``), whoever wrote the message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
# The segment after these prefixes is a capability token (dots end it: "<token>.ics").
_TOKEN_IN_PATH = re.compile(
    r"(/(?:manage|feeds|waitlist|clinician|follow-up|api/v1/bookings)/)[^/\s?#\"'.<>]+"
)
MASK = "***"
_ENVIRON_ID = "booking.request_id"
_ENVIRON_STARTED = "booking.request_started"
# Fields a record may carry (via ``extra=``) into its JSON object.
EXTRA_FIELDS = ("event", "method", "path", "status", "duration_ms", "remote_addr", "staff_id")

access_log = logging.getLogger("booking.access")
security_log = logging.getLogger("booking.security")


def mask_tokens(text: str) -> str:
    """Return ``text`` with the token in every manage, feed, waitlist, clinician, follow-up or API
    booking path masked."""
    return _TOKEN_IN_PATH.sub(lambda m: m.group(1) + MASK, text)


def request_id() -> str:
    """Return the current request's id, choosing it on first use."""
    # Kept in the WSGI environ, which belongs to this request alone (``g`` belongs to the
    # application context, which a test may share between requests).
    environ = request.environ
    if _ENVIRON_ID not in environ:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        environ[_ENVIRON_ID] = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return environ[_ENVIRON_ID]


def security_event(event: str, message: str, **fields: Any) -> None:
    """Log a security event (failed sign-in, CSRF failure, ...) at WARNING."""
    security_log.warning(message, extra={"event": event, **fields})


class TokenMaskingFilter(logging.Filter):
    """Mask tokens in a record's message and path before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report
            return True
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = mask_tokens(path)
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: UTC time, level, logger, message, context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = request_id()
            entry["method"] = request.method
            entry["path"] = mask_tokens(request.path)
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = mask_tokens(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = mask_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class JsonHandler(logging.StreamHandler):
    """The root handler ``configure_logging`` installs (and replaces on a second call)."""


def configure_logging(app: Flask) -> None:
    """Send every log record to stderr as JSON, unless ``LOG_JSON`` says otherwise.

    ``LOG_JSON`` None (the default) means JSON except when testing.
    """
    enabled = app.config.get("LOG_JSON")
    if enabled is None:
        enabled = not app.testing
    if not enabled:
        return
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(handler)
    handler = JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TokenMaskingFilter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Flask's own plain-text handler would write every app.logger line a second time.
    logging.getLogger(app.import_name).removeHandler(default_handler)


def init_app(app: Flask) -> None:
    """Give each request an id and log it once it is answered."""
    configure_logging(app)
    # First of all before_request functions, so even a request refused by another one
    # (a rate limit) is timed.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_finish)

    @app.context_processor
    def _request_reference() -> dict:
        return {"request_id": request_id()} if has_request_context() else {}


def _start_timer() -> None:
    request.environ[_ENVIRON_STARTED] = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = request.environ.get(_ENVIRON_STARTED)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    status = response.status_code
    if status == 429:
        security_event(
            "ratelimit.exceeded", "rate limit exceeded", status=status, remote_addr=_client()
        )
    access_log.info(
        "%s %s %s",
        request.method,
        mask_tokens(request.path),
        status,
        extra={"status": status, "duration_ms": duration_ms, "remote_addr": _client()},
    )
    return response


def _client() -> str | None:
    return request.remote_addr
