"""Friendly error pages (and JSON errors for the API); never a stack trace.

Every error page and JSON error carries the request id (``booking.logs``) as the reference
to quote to the clinic. A database that is locked or unreachable is a 503 with
``Retry-After``, after the session is rolled back, so no half-made change is ever kept.
Refusals that matter for security (CSRF failures, denied access, unknown tokens) are
logged as security events; rate-limit trips are logged when any 429 is sent.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound

from booking.extensions import db, limiter
from booking.logs import mask_tokens, request_id, security_event
from booking.security import TOKEN_PATH
from booking.services.errors import Refusal
from booking.services.locking import OutcomeUnknown, committed_in_request
from booking.web import refusals
from booking.web.api import errors as api_errors

log = logging.getLogger(__name__)

# Codes with a page of their own; any other HTTP error uses the generic one with COPY.
PAGES = {404: "errors/404.html", 429: "errors/429.html", 500: "errors/500.html"}
COPY = {
    400: (
        "We couldn't use that request",
        "Something in what was sent wasn't right, so nothing was changed. Please go back, "
        "check the form and try again.",
    ),
    403: (
        "You can't open this page",
        "Your account doesn't give access to this page. If you think it should, please ask "
        "the clinic's admin.",
    ),
    405: (
        "That didn't work",
        "This page can't be used that way, so nothing was changed. Please go back and use "
        "the buttons on the page.",
    ),
    409: (
        "That can't be done now",
        "Something changed since the page was loaded, so nothing was changed. Please reload "
        "the page and try again.",
    ),
    410: ("This has finished", "What this link was for is over, so there is nothing to show."),
    413: (
        "That was too much to send",
        "What you sent was larger than we accept, so nothing was saved. Please shorten it "
        "and try again.",
    ),
    503: (
        "We're busy for a moment",
        "We couldn't reach our booking system just now, and nothing was saved. Please try "
        "again in a minute.",
    ),
}
# The database went away while committing: the change may or may not have been kept, so
# the answer says exactly that, and the retry (same form key or Idempotency-Key) settles it.
UNKNOWN_COPY = (
    "We could not confirm that",
    "We could not confirm that your change was saved. Please check and try again: doing it "
    "again is safe.",
)
# The change was committed, and something after it (showing the result) failed.
DONE_COPY = (
    "Done, but we could not show it",
    "What you asked for was saved, but we could not show the result just now. Please "
    "reload the page in a minute; there is no need to do it again.",
)
CSRF_COPY = (
    "This form has expired",
    "For your security, forms stop working after a while or when opened in another window. "
    "Nothing was changed. Please go back, reload the page and try again.",
)
TOO_MANY_MESSAGE = "Too many requests in a short time; please wait and try again."

# SQLite reports a busy or missing database only in the message.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "unable to open database",
    "disk i/o error",
)
# PostgreSQL SQLSTATE classes: connection, resources, operator intervention (including a
# cancelled statement), transaction rollback (deadlock, serialisation); and a lock timeout.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "40")
_PG_UNAVAILABLE_CODES = frozenset({"55P03"})


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeoutError, _database_error)
    app.register_error_handler(OutcomeUnknown, _outcome_unknown)
    app.register_error_handler(Refusal, _refused)
    app.register_error_handler(Exception, _unexpected_error)


def database_unavailable(error: BaseException) -> bool:
    """Say whether ``error`` means the database is locked, busy or unreachable.

    A mistake in a query (a missing table, a constraint) is not: that stays a 500.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_CODES
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return any(text in message for text in _SQLITE_UNAVAILABLE)
    # Any other driver's OperationalError is about the database, not the statement.
    return isinstance(error, OperationalError)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing was kept on it either
        try:
            db.session.remove()
        except Exception:
            log.warning("session cleanup failed after an error", exc_info=True)


def _json_error(code: int, message: str, **extra):
    body = {"code": code, "message": message, "request_id": request_id(), **extra}
    response = jsonify(error=body)
    response.status_code = code
    return response


def _page(template: str, code: int, **context):
    """Render an error page; if even that fails, a plain one that still gives the reference."""
    try:
        return render_template(template, code=code, request_id=request_id(), **context), code
    except Exception:  # the error page must not itself become an error
        log.exception("error page %s could not be rendered", template)
        title = escape(context.get("title") or "Something went wrong")
        body = (
            f"<!doctype html><html lang='en-GB'><title>{title}</title><h1>{title}</h1>"
            f"<p>Please try again in a minute. Reference: {escape(request_id())}</p></html>"
        )
        return body, code, {"Content-Type": "text/html; charset=utf-8"}


def _extra_headers(error: HTTPException) -> list[tuple[str, str]]:
    # Allow (405), Retry-After (503), ...: everything but the body's type.
    return [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]


def _csrf_error(error: CSRFError):
    security_event("csrf.failed", f"CSRF check failed: {error.description}")
    title, lead = CSRF_COPY
    return _page("errors/error.html", 400, title=title, lead=lead)


def _http_error(error: HTTPException):
    code = error.code or 500
    original = getattr(error, "original_exception", None)
    # An error outside the view (after_request, the session's cleanup, the driver) reaches
    # Flask's last-resort handler as a 500 wrapping it: a database that is down is a 503.
    if code == 500 and isinstance(original, OutcomeUnknown):
        return _outcome_unknown(original)
    if code == 500 and original is not None and database_unavailable(original):
        return _database_error(original)
    if code >= 500:
        _rollback()
    if code == 403:
        staff_id = current_user.get_id() if current_user.is_authenticated else None
        security_event("access.denied", "access denied", staff_id=staff_id)
    elif code == 404 and TOKEN_PATH.match(request.path):
        security_event("token.invalid", "unknown, malformed or revoked token")
    message = TOO_MANY_MESSAGE if code == 429 else (error.description or "")
    if _wants_json():
        response = _json_error(code, message)
    else:
        template = PAGES.get(code, "errors/error.html")
        title, lead = COPY.get(code, (error.name, error.description))
        response = current_app.make_response(
            _page(template, code, error=error, title=title, lead=lead)
        )
    response.headers.extend(_extra_headers(error))
    if code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(_seconds_until_reset())
    return response


def _seconds_until_reset() -> int:
    limit = limiter.current_limit
    return max(1, int(limit.reset_at - time.time())) if limit is not None else 60


def _refused(error: Refusal):
    # A verb's refusal no view showed on its form: the verb changed nothing. Not found and
    # not allowed answer like any 404 and 403 (and are logged the same way).
    _rollback()
    status = refusals.status_for(error)
    if status in (403, 404):
        return _http_error(Forbidden() if status == 403 else NotFound())
    if _wants_json():
        return api_errors.api_answer(error)
    return refusals.page_answer(error)


def _database_error(error: Exception):
    if isinstance(error, DataError):
        return _refused_by_database(error)
    if not database_unavailable(error):
        return _unexpected_error(error)
    _rollback()
    orig = getattr(error, "orig", None) or error
    log.warning(
        "database unavailable: %s: %s",
        type(orig).__name__,
        str(orig).splitlines()[0][:200] if str(orig) else "",
        extra={"event": "database.unavailable"},
    )
    if committed_in_request():
        title, lead = DONE_COPY
        return _unavailable_response(title, lead, reason="saved")
    title, lead = COPY[503]
    return _unavailable_response(title, lead, reason="unavailable")


def _unavailable_response(title: str, lead: str, *, reason: str):
    if _wants_json():
        response = _json_error(503, lead, reason=reason)
    else:
        response = current_app.make_response(
            _page("errors/error.html", 503, title=title, lead=lead)
        )
    response.headers["Retry-After"] = str(current_app.config["UNAVAILABLE_RETRY_AFTER_SECONDS"])
    response.headers["Cache-Control"] = "no-store"
    return response


def _outcome_unknown(error: OutcomeUnknown):
    # Never "nothing was saved": the commit may have landed. The verb's message (a booking
    # has its own) says what to do; a retry with the same key is safe.
    _rollback()
    title, lead = UNKNOWN_COPY
    lead = error.message or lead
    return _unavailable_response(title, lead, reason="outcome_unknown")


def _refused_by_database(error: DataError):
    # A value the database cannot hold (a NUL character, text too long for its column) got
    # past the checks: the request is at fault, so a 400, but the gap is worth a warning.
    _rollback()
    log.warning(
        "the database refused a value: %s",
        type(error.orig).__name__,
        extra={"event": "input.refused_by_database"},
    )
    if _wants_json():
        return _json_error(400, COPY[400][1])
    title, lead = COPY[400]
    return _page("errors/error.html", 400, title=title, lead=lead)


def _unexpected_error(error: Exception):
    # Whatever half-done change the request made is discarded; the log keeps the details
    # under the request id the person can quote to us.
    _rollback()
    log.exception(
        "unhandled error on %s %s",
        request.method,
        mask_tokens(request.path),
        extra={"event": "error"},
    )
    wrapped = InternalServerError()
    if _wants_json():
        return _json_error(500, wrapped.description, id=request_id())
    return _page("errors/500.html", 500, error=wrapped, error_id=request_id())
