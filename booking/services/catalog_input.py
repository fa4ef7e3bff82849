"""What admins type into the catalogue forms, parsed strictly: working hours per weekday,
prices, and the short texts every catalogue field holds.

Each parser names the bad part in its message, so the admin sees what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import pairwise

from booking import validation
from booking.models.schedule import MINUTES_PER_DAY
from booking.services.errors import CatalogError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_RANGE = re.compile(r"(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})")


def _clock_minutes(text: str, *, end: bool) -> int:
    if end and text == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"“{text}” is not a time; write times as HH:MM, e.g. 09:00.")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_day_ranges(text: str | None) -> list[tuple[int, int]]:
    """Parse "09:00-13:00, 14:00-18:00" into minute ranges from local midnight.

    Strict: HH:MM on a 24-hour clock, ranges separated by commas, each ending after it
    starts. An end earlier than the start crosses midnight ("22:00-02:00" is 22:00 to 02:00
    the next morning, stored as 1320-1560). Blank means a day off. Raises ValueError with
    a message naming the bad part.
    """
    text = (text or "").strip()
    if not text:
        return []
    ranges = []
    for part in text.split(","):
        part = part.strip()
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(
                f"“{part}” is not a range; write it as 09:00-13:00 (several separated by commas)."
            )
        start = _clock_minutes(match.group(1), end=False)
        end = _clock_minutes(match.group(2), end=True)
        if end == start:
            raise ValueError(f"“{part}” starts and ends at the same time.")
        if end < start:
            end += MINUTES_PER_DAY  # crosses midnight
        ranges.append((start, end))
    ranges.sort()
    for (_, first_end), (second_start, _) in pairwise(ranges):
        if second_start < first_end:
            raise ValueError("Two ranges overlap; list each working period once.")
    return ranges


def parse_week(texts: Mapping[int, str | None]) -> list[tuple[int, int, int]]:
    """Parse one text per weekday (Monday = 0); return (weekday, start, end) rows.

    Raises CatalogError(field="day_<n>") for the first bad day, including a range that runs
    past midnight into the next day's first range.
    """
    rows: list[tuple[int, int, int]] = []
    for weekday in range(7):
        try:
            ranges = parse_day_ranges(texts.get(weekday))
        except ValueError as error:
            raise CatalogError("invalid_hours", str(error), field=f"day_{weekday}") from None
        rows.extend((weekday, start, end) for start, end in ranges)
    # Across days: a range crossing midnight must not run into the next day's hours.
    spans = sorted((w * MINUTES_PER_DAY + s, w * MINUTES_PER_DAY + e, w) for w, s, e in rows)
    for (_, first_end, day), (second_start, _, next_day) in pairwise(spans):
        if second_start < first_end:
            raise CatalogError(
                "invalid_hours",
                f"{WEEKDAYS[day]}'s hours run into {WEEKDAYS[next_day]}'s.",
                field=f"day_{day}",
            )
    if spans and spans[-1][1] > MINUTES_PER_WEEK and spans[-1][1] - MINUTES_PER_WEEK > spans[0][0]:
        raise CatalogError(
            "invalid_hours", "Sunday's hours run into Monday's.", field=f"day_{spans[-1][2]}"
        )
    return rows


def format_day_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """The inverse of parse_day_ranges: [(540, 780), (840, 1080)] -> "09:00-13:00, 14:00-18:00"."""

    def clock(minutes: int) -> str:
        minutes %= MINUTES_PER_DAY
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return ", ".join(
        f"{clock(s)}-{clock(e) if e != MINUTES_PER_DAY else '24:00'}" for s, e in ranges
    )


def parse_price(text: str | None) -> int:
    """Parse "55", "55.00" or "£52.50" into pence; raise ValueError otherwise."""
    cleaned = (text or "").strip().lstrip("£").strip().replace(",", "")
    match = re.fullmatch(r"(\d{1,5})(?:\.(\d{2}))?", cleaned)
    if match is None:
        raise ValueError("Write the price in pounds, e.g. 55 or 52.50.")
    return int(match.group(1)) * 100 + int(match.group(2) or 0)


def text_field(
    value: str | None,
    field: str,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``value`` cleaned as ``validation.clean_text`` does; CatalogError naming ``field``."""
    try:
        text = validation.clean_text(value, max_length=max_length, multiline=multiline)
    except validation.InvalidInput as error:
        raise CatalogError("invalid_text", str(error), field=field) from None
    if required and not text:
        raise CatalogError("required", "Please fill this in.", field=field)
    return text
