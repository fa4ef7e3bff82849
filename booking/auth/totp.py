"""Time-based one-time codes (RFC 6238) for the staff second factor. Pure: no Flask, no DB.

Six digits, a new code every 30 seconds, SHA-1: what every authenticator app expects.
A code is accepted one step either side of now (``VALID_WINDOW``), so a phone whose clock
is half a minute out still works; the caller keeps the last accepted step and refuses any
code whose step is not newer, so each code works once.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
import segno
from pyotp import OTPVerificationError

DIGITS = 6
STEP_SECONDS = 30
VALID_WINDOW = 1


def new_secret() -> str:
    """Return a fresh random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """Return the ``otpauth://totp/...`` URI an authenticator app reads (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the set-up URI as an inline SVG QR code, drawn here (no image request).

    Inline markup, not a ``data:`` image: the CSP allows images from this site only, and
    the secret must never travel in a URL to anything.
    """
    code = segno.make(uri, error="m")
    return code.svg_inline(
        scale=4, border=2, dark="#000", light="#fff", svgclass=None, lineclass=None
    )


def normalise_code(typed: str | None) -> str | None:
    """Return ``typed`` as six digits (spaces and dashes dropped), or None if it is not one."""
    code = "".join((typed or "").split()).replace("-", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    return code


def time_step(moment: datetime) -> int:
    """Return the 30-second step ``moment`` (aware) falls in."""
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    """Return the code of ``step`` (enrolment checks and tests use it)."""
    return pyotp.TOTP(secret).generate_otp(step)


def accepted_step(
    secret: str, typed: str | None, *, now: datetime, last_step: int | None
) -> int | None:
    """Return the time step ``typed`` is the code of, if it may be accepted at ``now``.

    None when it is not six digits, matches no step within ``VALID_WINDOW`` of now, or
    belongs to a step at or before ``last_step`` (already used, or older than a used one).
    """
    code = normalise_code(typed)
    if code is None:
        return None
    try:
        step = pyotp.TOTP(secret).verify_and_get_timecode(
            code, for_time=now, valid_window=VALID_WINDOW
        )
    except OTPVerificationError:
        return None
    if last_step is not None and step <= last_step:
        return None
    return step
