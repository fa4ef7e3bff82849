"""The clinic's policy as one frozen value: notice, horizon, cut-offs, holds, caps, the zone.

Pure: no Flask, no database. :func:`build_policy` takes the configured defaults
(``booking/config.py``, ``instance/config.py``, the environment) and the values admins saved
(``booking.services.clinic_settings``), checks every value and returns a
:class:`ClinicPolicy`. Verbs receive it beside ``now``; nothing writes policy into
``app.config``.

The admin-editable keys (:data:`EDITABLE`) and their checks (:func:`validate`) live here
too, since a saved value is held to the same bounds whichever side reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class PolicyError(ValueError):
    """A configured or saved policy value that cannot be used (the message says which)."""


@dataclass(frozen=True)
class SettingSpec:
    """One editable setting: its label, its kind ("int" or "phone") and its allowed range."""

    key: str
    label: str
    kind: str = "int"
    minimum: int = 0
    maximum: int = 0
    choices: tuple[int, ...] = ()
    hint: str = ""
    group: str = "Booking policy"


EDITABLE: tuple[SettingSpec, ...] = (
    SettingSpec(
        "BOOKING_MIN_NOTICE_MINUTES", "Minimum notice (minutes)", minimum=0, maximum=14 * 1440
    ),
    SettingSpec("BOOKING_HORIZON_DAYS", "Booking horizon (days)", minimum=1, maximum=730),
    SettingSpec(
        "BOOKING_SLOT_MINUTES",
        "Slot grid (minutes)",
        choices=(5, 10, 15, 20, 30, 60),
        hint="Start times are offered every this many minutes from the start of working hours.",
    ),
    SettingSpec(
        "BOOKING_CANCEL_CUTOFF_HOURS",
        "Free cancellation until (hours before start)",
        minimum=0,
        maximum=14 * 24,
        hint="Applies to bookings made from now on; existing bookings keep their policy.",
    ),
    SettingSpec(
        "BOOKING_RESCHEDULE_CUTOFF_HOURS",
        "Free rescheduling until (hours before start)",
        minimum=0,
        maximum=14 * 24,
    ),
    SettingSpec(
        "HOLD_MAX_HOURS_AFTER_BOOKING",
        "A hold lasts at most (hours after booking)",
        minimum=1,
        maximum=14 * 24,
        group="Clearance holds",
    ),
    SettingSpec(
        "HOLD_HOURS_BEFORE_START",
        "A hold ends at the latest (hours before start)",
        minimum=0,
        maximum=7 * 24,
        group="Clearance holds",
    ),
    SettingSpec(
        "HOLD_MIN_HOURS_TO_CLEAR",
        "Time left to get cleared (hours)",
        minimum=0,
        maximum=7 * 24,
        hint="A held booking is only offered start times whose deadline leaves at least this "
        "long, including the opening hours of at least one weekday.",
        group="Clearance holds",
    ),
    SettingSpec(
        "HOLD_EXTENSION_HOURS",
        "Reception's one extension (hours)",
        minimum=1,
        maximum=14 * 24,
        group="Clearance holds",
    ),
    SettingSpec(
        "HOLD_REMINDER_AFTER_BOOKING_HOURS",
        "First hold reminder (hours after booking)",
        minimum=1,
        maximum=7 * 24,
        group="Clearance holds",
    ),
    SettingSpec(
        "HOLD_REMINDER_BEFORE_EXPIRY_HOURS",
        "Last hold reminder (hours before expiry)",
        minimum=1,
        maximum=7 * 24,
        group="Clearance holds",
    ),
    SettingSpec(
        "SCREEN_HOLD_PAIN_SCORE",
        "Hold when the pain score is at least",
        minimum=0,
        maximum=11,
        hint="0 to 10; 11 switches the pain-score rule off.",
        group="Pain screen",
    ),
    SettingSpec(
        "FOLLOW_UP_DELAY_HOURS",
        "Follow-up email (hours after a completed session)",
        minimum=24,
        maximum=48,
        hint="24 to 48. The email asks how the patient has been, without health words.",
        group="Follow-up",
    ),
    SettingSpec(
        "CLINIC_EMERGENCY_NUMBER",
        "Emergency number",
        kind="phone",
        hint="Shown to patients whose answers need emergency care, e.g. 999.",
        group="Pain screen",
    ),
    SettingSpec(
        "CLINIC_URGENT_NUMBER",
        "Urgent medical advice number",
        kind="phone",
        hint="e.g. 111",
        group="Pain screen",
    ),
)

SPECS: dict[str, SettingSpec] = {spec.key: spec for spec in EDITABLE}

_PHONE = re.compile(r"\+?[0-9][0-9 ]{1,18}")
_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9] ?- ?([01][0-9]|2[0-3]):[0-5][0-9]")


def validate(key: str, raw: Any) -> Any:
    """Return ``raw`` as the stored value of ``key``; raise ValueError with a message if bad."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValueError("This setting cannot be changed here.")
    if spec.kind == "phone":
        text = str(raw if raw is not None else "").strip()
        if not _PHONE.fullmatch(text):
            raise ValueError("Use digits and spaces only (a leading + is allowed), e.g. 999.")
        return re.sub(r" +", " ", text)
    if isinstance(raw, bool):
        raise ValueError("Please enter a whole number.")
    if isinstance(raw, str):
        if not re.fullmatch(r"\s*-?[0-9]{1,6}\s*", raw):
            raise ValueError("Please enter a whole number.")
        raw = int(raw)
    if not isinstance(raw, int):
        raise ValueError("Please enter a whole number.")
    if spec.choices:
        if raw not in spec.choices:
            raise ValueError(f"Choose one of {', '.join(str(c) for c in spec.choices)}.")
    elif not spec.minimum <= raw <= spec.maximum:
        raise ValueError(f"Please enter a number from {spec.minimum} to {spec.maximum}.")
    return raw


@dataclass(frozen=True)
class ClinicPolicy:
    """Every clinic policy setting in force, typed. Field names are the config keys in lower
    case (``min_notice_minutes`` is ``BOOKING_MIN_NOTICE_MINUTES``, see :data:`KEYS`)."""

    zone: ZoneInfo
    emergency_number: str
    urgent_number: str
    # Booking (DOMAIN.md section 3)
    slot_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancel_cutoff_hours: int
    reschedule_cutoff_hours: int
    max_future_per_email: int
    max_holds_per_email: int
    # Clearance holds (DOMAIN.md section 2)
    hold_max_hours_after_booking: int
    hold_hours_before_start: int
    hold_min_hours_to_clear: int
    hold_working_day_hours: str
    hold_extension_hours: int
    hold_reminder_after_booking_hours: int
    hold_reminder_before_expiry_hours: int
    clearance_valid_days: int
    clearance_max_age_days: int
    clinician_links_per_hold: int
    # Reminders before a confirmed appointment, hours before its start
    reminder_offsets_hours: tuple[int, ...]
    # Waitlist
    waitlist_offer_minutes: int
    waitlist_max_entries_per_email: int
    waitlist_screen_max_age_days: int
    # Pain screen
    screen_hold_pain_score: int
    # Follow-up
    follow_up_delay_hours: int
    follow_up_link_days: int
    follow_up_latest_days: int
    # Privacy
    retention_unconfirmed_answers_days: int

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)

    def inside_notice(self, start: datetime, now: datetime) -> bool:
        """Whether ``start`` is still to come but too soon to be offered."""
        return now <= start < now + self.min_notice

    @property
    def hold_max_after_booking(self) -> timedelta:
        return timedelta(hours=self.hold_max_hours_after_booking)

    @property
    def hold_before_start(self) -> timedelta:
        return timedelta(hours=self.hold_hours_before_start)


# Field -> config key, where the key is not the field's name in upper case.
_KEY_OF: dict[str, str] = {
    "zone": "CLINIC_TIMEZONE",
    "emergency_number": "CLINIC_EMERGENCY_NUMBER",
    "urgent_number": "CLINIC_URGENT_NUMBER",
    "slot_minutes": "BOOKING_SLOT_MINUTES",
    "min_notice_minutes": "BOOKING_MIN_NOTICE_MINUTES",
    "horizon_days": "BOOKING_HORIZON_DAYS",
    "cancel_cutoff_hours": "BOOKING_CANCEL_CUTOFF_HOURS",
    "reschedule_cutoff_hours": "BOOKING_RESCHEDULE_CUTOFF_HOURS",
    "max_future_per_email": "BOOKING_MAX_FUTURE_PER_EMAIL",
    "max_holds_per_email": "BOOKING_MAX_HOLDS_PER_EMAIL",
}
KEYS: dict[str, str] = {f.name: _KEY_OF.get(f.name, f.name.upper()) for f in fields(ClinicPolicy)}

# Bounds for the settings admins cannot edit (a misconfigured file fails loudly).
_BOUNDS: dict[str, tuple[int, int]] = {
    "BOOKING_MAX_FUTURE_PER_EMAIL": (1, 1000),
    "BOOKING_MAX_HOLDS_PER_EMAIL": (0, 1000),
    "CLEARANCE_VALID_DAYS": (1, 3660),
    "CLEARANCE_MAX_AGE_DAYS": (0, 3660),
    "CLINICIAN_LINKS_PER_HOLD": (0, 100),
    "WAITLIST_OFFER_MINUTES": (1, 7 * 1440),
    "WAITLIST_MAX_ENTRIES_PER_EMAIL": (1, 100),
    "WAITLIST_SCREEN_MAX_AGE_DAYS": (0, 3660),
    "FOLLOW_UP_LINK_DAYS": (1, 3660),
    "FOLLOW_UP_LATEST_DAYS": (0, 3660),
    "RETENTION_UNCONFIRMED_ANSWERS_DAYS": (1, 36600),
}


def _whole(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PolicyError(f"{key} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise PolicyError(f"{key} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise PolicyError(f"{key} must be from {low} to {high}, not {number}")
    return number


def _coerce(key: str, value: Any, *, saved: bool) -> Any:
    if key == "CLINIC_TIMEZONE":
        if isinstance(value, ZoneInfo):
            return value
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError(f"CLINIC_TIMEZONE is not a known time zone: {value!r}") from None
    if key == "HOLD_WORKING_DAY_HOURS":
        text = str(value).strip()
        if not _HOURS.fullmatch(text):
            raise PolicyError(f"HOLD_WORKING_DAY_HOURS must be like 09:00-17:00, not {value!r}")
        return text
    if key == "REMINDER_OFFSETS_HOURS":
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise PolicyError(f"REMINDER_OFFSETS_HOURS must be a list of hours, not {value!r}")
        return tuple(sorted({_whole(key, hours, 1, 14 * 24) for hours in value}))
    if key in SPECS and saved:
        try:
            return validate(key, value)
        except ValueError as error:
            raise PolicyError(f"{key}: {error}") from None
    if key in SPECS:
        # A configured default is the operator's choice: typed here, and where a use has
        # bounds of its own (the follow-up's 24 to 48 hours) the use applies them.
        if SPECS[key].kind == "phone":
            text = str(value).strip()
            if not text:
                raise PolicyError(f"{key} is empty")
            return text
        return _whole(key, value, 0, 10**6)
    low, high = _BOUNDS[key]
    return _whole(key, value, low, high)


def build_policy(defaults: Mapping[str, Any], saved: Mapping[str, Any]) -> ClinicPolicy:
    """Return the policy in force: each saved value over its configured default.

    ``defaults`` maps config keys (``BOOKING_HORIZON_DAYS``) to their configured values and
    must hold every key of :data:`KEYS`; ``saved`` holds what admins saved, editable keys
    only, each held to the admin page's bounds (:func:`validate`). Numbers given as digit
    strings become ints. Raises :class:`PolicyError` naming the key for a missing or
    mistyped value, or a saved one out of its bounds.
    """
    unknown = sorted(set(saved) - set(SPECS))
    if unknown:
        raise PolicyError(f"these settings cannot be saved: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, key in KEYS.items():
        if key in saved:
            values[name] = _coerce(key, saved[key], saved=True)
        elif defaults.get(key) is not None:
            values[name] = _coerce(key, defaults[key], saved=False)
        else:
            raise PolicyError(f"{key} is not configured")
    return ClinicPolicy(**values)
