"""Staff reasons (extensions, clearances by phone, overrides, refusals) are real sentences.

A reason is read later by someone who was not there: "." or "ok" tells them nothing.
"""

from __future__ import annotations

import re

from booking.services.errors import BookingError

MIN_WORDS = 2
MIN_LETTERS = 8
REASON_MESSAGE = (
    "Please write the reason in a few words (for example: GP appointment booked for Friday)."
)
_WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters, in any alphabet


def is_real_sentence(text: str | None) -> bool:
    """At least ``MIN_WORDS`` words of letters and ``MIN_LETTERS`` letters in all."""
    words = _WORD.findall(text or "")
    return len(words) >= MIN_WORDS and sum(len(w) for w in words) >= MIN_LETTERS


def check_reason(text: str | None, *, field: str = "reason") -> str:
    """Return the reason stripped, or raise BookingError("invalid") naming ``field``."""
    cleaned = (text or "").strip()
    if not is_real_sentence(cleaned):
        raise BookingError("invalid", REASON_MESSAGE, field=field)
    return cleaned
