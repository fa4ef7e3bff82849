"""Abuse limits: how often one address (or one email) may book, look up tokens, call the API.

The numbers are settings (``BOOKING_SUBMIT_LIMIT_PER_ADDRESS`` and friends, read on every
request); the counters live in ``RATELIMIT_STORAGE_URI`` (Redis in production, so every
worker shares them). A refused request gets 429 with ``Retry-After``. Staff sign-in has its
own limits in ``booking.web.auth``; the cap on how many future bookings one email may hold
is a rule of the ``book`` verb, not a rate.

Shared scopes make one budget of several routes: a booking submitted through the web form
or the API spends the same per-address and per-email budget, and a token tried on a manage
page, a feed or the API spends the same look-up budget.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address

from booking import validation
from booking.extensions import limiter
from booking.web import drafts

F = TypeVar("F", bound=Callable)

SUBMIT_ENDPOINTS = frozenset(
    {
        "book.review",
        "api.create_booking",
        "api.join_waitlist",
        "api.claim_offer",
        "waitlist.join",
        "waitlist.earlier",
        "waitlist.claim",
    }
)
_ENVIRON_EMAIL = "booking.submitted_email"


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def submitted_email() -> str | None:
    """Return the normalised email of the booking being submitted, or None if there is none.

    From the draft for the web form, from the JSON body for the API. A value that is not an
    email address is None: the request will be refused for it anyway.
    """
    environ = request.environ  # this request's own, unlike ``g``
    if _ENVIRON_EMAIL not in environ:
        environ[_ENVIRON_EMAIL] = _read_submitted_email()
    return environ[_ENVIRON_EMAIL]


def _read_submitted_email() -> str | None:
    if request.blueprint == "api":
        try:
            body = json.loads(request.get_data())
        except (ValueError, RecursionError):
            return None
        raw = body.get("email") if isinstance(body, dict) else None
    else:
        raw = (drafts.load().get("details") or {}).get("email")
    if not isinstance(raw, str):
        return None
    try:
        # One person, one budget: "+tag" variants of an address share it.
        return validation.canonical_email(validation.normalise_email(raw))
    except validation.InvalidInput:
        return None


def email_key() -> str:
    # Hashed: the counters (and the limiter's own log lines) never hold the address itself.
    email = submitted_email() or ""
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _not_a_submission() -> bool:
    return request.endpoint not in SUBMIT_ENDPOINTS


def _no_email() -> bool:
    return _not_a_submission() or submitted_email() is None


def _not_a_token_lookup() -> bool:
    return "token" not in (request.view_args or {})


_submissions_per_address = limiter.shared_limit(
    _setting("BOOKING_SUBMIT_LIMIT_PER_ADDRESS"),
    scope="booking-submit",
    key_func=get_remote_address,
    methods=["POST"],
    exempt_when=_not_a_submission,
)
_submissions_per_email = limiter.shared_limit(
    _setting("BOOKING_SUBMIT_LIMIT_PER_EMAIL"),
    scope="booking-submit-email",
    key_func=email_key,
    methods=["POST"],
    exempt_when=_no_email,
)
_token_lookups = limiter.shared_limit(
    _setting("TOKEN_LOOKUP_LIMIT_PER_ADDRESS"),
    scope="token-lookup",
    key_func=get_remote_address,
    exempt_when=_not_a_token_lookup,
)
_api_calls = limiter.shared_limit(
    _setting("API_LIMIT_PER_ADDRESS"), scope="api", key_func=get_remote_address
)


def booking_submissions(view: F) -> F:
    """Limit a view that submits a booking, per address and per email."""
    return _submissions_per_address(_submissions_per_email(view))


def token_lookups(bp: Blueprint) -> None:
    """Limit every route of ``bp`` that takes a ``<token>``, per address."""
    _token_lookups(bp)


def api(bp: Blueprint) -> None:
    """Limit the API: every call, token look-ups and booking submissions, per address."""
    _api_calls(bp)
    _token_lookups(bp)
    _submissions_per_address(bp)
    _submissions_per_email(bp)
