"""Security headers on every response, the session cookie's settings, the trusted proxy.

Headers: a Content-Security-Policy that allows nothing inline and nothing third-party,
``nosniff``, a referrer policy (``no-referrer`` wherever the URL holds a token), HSTS over
HTTPS, ``Cache-Control: no-store`` and ``Vary: Cookie`` on personal pages. A view that sets
one of these itself keeps its value; this module only fills the gaps.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_set_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as WerkzeugResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
SECURE_SESSION_COOKIE_NAME = "__Host-session"

# Pages about one person: the booking flow, a booking's manage pages, a waitlist entry's
# pages, a clinician's link, a follow-up form, staff pages and the API's answers about a booking.
PERSONAL_PATH = re.compile(
    r"^/(?:book|manage|waitlist|clinician|follow-up|reception|staff|api/v1/bookings)(?:/|$)"
)
# Pages whose URL is a credential: never sent on as a referrer.
TOKEN_PATH = re.compile(r"^/(?:manage|feeds|waitlist|clinician|follow-up|api/v1/bookings)/[^/]+")
# Pages no search engine may keep or follow: every token page and every personal page.
ROBOTS_TAG = "noindex, nofollow"


class BookingFlask(Flask):
    """The application class: a redirect answering a POST (or any unsafe method) is a 303.

    ``flask.redirect`` calls ``current_app.redirect``, so this is the one place for it: the
    browser then fetches the next page with GET, and a refresh never re-posts the form.
    """

    def redirect(self, location: str, code: int = 302) -> WerkzeugResponse:
        if code in (301, 302) and request and request.method not in ("GET", "HEAD"):
            code = 303
        return super().redirect(location, code)


class BodyLimit:
    """WSGI middleware: a chunked body (which declares no length) is read up to the limit.

    A declared ``Content-Length`` is refused by :func:`refuse_oversized_body` before a byte
    is read. A chunked body is read up to the limit and one byte more, never further: over
    the limit, the application sees a declared length over it (and so answers its own 413
    page) and an empty body; within it, the bytes read and their length. After a 413 the
    connection is closed (:func:`add_security_headers`), so no server reads the rest; the
    development server, which would otherwise drain up to 10 GB "so the client sees the
    413", has its socket's reading side shut first.
    """

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        if "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING")):
            body = environ["wsgi.input"].read(self.limit + 1)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            if len(body) > self.limit:
                body = b""
                environ["CONTENT_LENGTH"] = str(self.limit + 1)
            else:
                environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)

        def start(status: str, headers, exc_info=None):
            if status.startswith("413"):
                _stop_reading(environ)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _stop_reading(environ) -> None:
    connection = environ.get("werkzeug.socket")  # only the development server sets it
    if connection is not None:
        with contextlib.suppress(OSError):  # already gone
            connection.shutdown(socket.SHUT_RD)


def init_app(app: Flask) -> None:
    """Apply the cookie and proxy settings and add the headers to every response."""
    _configure_cookies(app)
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        # Only the last ``proxies`` hops are ours; anything a client wrote before is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    limit = app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None:
        # Around everything above: no part of the app sees a body before this has.
        app.wsgi_app = BodyLimit(app.wsgi_app, int(limit))
    app.before_request(refuse_oversized_body)
    app.after_request(add_security_headers)


def _configure_cookies(app: Flask) -> None:
    if app.config.get("SECURE_COOKIES"):
        # A __Host- cookie is refused by browsers unless Secure, Path=/ and host-only, so no
        # subdomain (or plain-HTTP page) can set or overwrite the session.
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_NAME=SECURE_SESSION_COOKIE_NAME,
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
            REMEMBER_COOKIE_SECURE=True,
        )


def refuse_oversized_body() -> None:
    """Answer 413 to a declared body over MAX_CONTENT_LENGTH, even if the view never reads it.

    (A body without a length is cut off by Werkzeug when it is read.)
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if limit is not None and length is not None and length > limit:
        raise RequestEntityTooLarge()


def add_security_headers(response: Response) -> Response:
    """Fill in the security headers a view has not set itself."""
    headers = response.headers
    if response.status_code == 413:
        headers["Connection"] = "close"  # the unread rest of the body is never read
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    path = request.path
    if TOKEN_PATH.match(path):
        headers["Referrer-Policy"] = "no-referrer"
    if TOKEN_PATH.match(path) or PERSONAL_PATH.match(path):
        headers["X-Robots-Tag"] = ROBOTS_TAG
    if not TOKEN_PATH.match(path):
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if PERSONAL_PATH.match(path):
        headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
    return response
