"""Clinic settings edited by the admin: validated, stored, and overlaid onto ``app.config``.

The editable keys (:data:`EDITABLE`) keep their usual names, so every reader goes on reading
``current_app.config[...]`` (or ``booking.notify.settings.setting``) and sees the saved value.

How the saved values reach the code
-----------------------------------
:func:`apply_saved_settings` reads the ``clinic_settings`` table (one small query, a dozen
rows at most) and writes ``defaults | saved`` into ``app.config``. The web app runs it at the
start of every request (``before_app_request``, registered by the admin settings page); the
mail worker must run it at the start of every pass.

Why this is safe with several workers and hosts: nothing is cached between requests. Every
process (gunicorn workers, hosts, the mail worker) reads the same database at the start of
each request or pass, so a change saved by one worker is in force everywhere from the next
request on; there is no invalidation to miss. Threads of one process share ``app.config``,
but each writes the same values from the same table, and every key is written with a single
assignment, so a reader never sees a half-written value. Only keys with a saved row are
overwritten, and the value each had before is remembered, so deleting a saved row restores
the configured default (``config.py``, ``instance/config.py``, the environment).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from booking.extensions import db
from booking.models import ClinicSetting
from booking.notify.settings import DEFAULTS as MAIL_DEFAULTS
from booking.services.audit import Actor, record
from booking.services.errors import SettingsError
from booking.services.locking import commit as commit_or_unknown

log = logging.getLogger(__name__)

_STATE_KEY = "clinic_settings"


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


class _Overlay:
    """What this process has written into ``app.config``, and what was there before.

    Only keys with a saved row are touched; when a row goes, its key gets back the value it
    had before the overlay (unless something else has changed it since). So a value set
    directly in ``app.config`` (a test, an ``instance/config.py`` reload) is never undone by
    a table that holds nothing for it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.before: dict[str, Any] = {}
        self.applied: dict[str, Any] = {}


def _overlay(app: Flask) -> _Overlay:
    return app.extensions.setdefault(_STATE_KEY, _Overlay())


def _configured(app: Flask, key: str) -> Any:
    value = app.config.get(key)
    return MAIL_DEFAULTS.get(key) if value is None else value


def current_values(app: Flask) -> dict[str, Any]:
    """The value in force for each editable key."""
    return {spec.key: _configured(app, spec.key) for spec in EDITABLE}


def default_values(app: Flask) -> dict[str, Any]:
    """The value each editable key has without a saved row (config.py, instance, env)."""
    state = _overlay(app)
    with state.lock:
        return {
            spec.key: state.before[spec.key]
            if spec.key in state.applied
            else _configured(app, spec.key)
            for spec in EDITABLE
        }


def saved_values() -> dict[str, Any]:
    """Return the saved values that are still valid (a bad row is ignored and logged)."""
    values: dict[str, Any] = {}
    for key, value in db.session.execute(select(ClinicSetting.key, ClinicSetting.value)):
        if key not in SPECS:
            continue
        try:
            values[key] = validate(key, value)
        except ValueError:
            log.warning("ignoring invalid saved setting %s=%r", key, value)
    return values


def apply_saved_settings(app: Flask) -> None:
    """Overlay the saved settings onto ``app.config`` (call inside an app context).

    Never raises for a database problem: the values in force stay and the error is logged,
    so a missing table (a database not yet migrated) cannot take the site down.
    """
    try:
        saved = saved_values()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not read clinic settings; keeping the values in force")
        return
    state = _overlay(app)
    with state.lock:
        for key, value in saved.items():
            if key not in state.applied:
                state.before[key] = app.config.get(key)
            if app.config.get(key) != value:
                app.config[key] = value
            state.applied[key] = value
        for key in [k for k in state.applied if k not in saved]:
            if app.config.get(key) == state.applied[key]:
                app.config[key] = state.before[key]
            del state.applied[key]
            del state.before[key]


def save(values: Mapping[str, Any], *, app: Flask, actor: Actor, now: datetime) -> list[str]:
    """Validate and store ``values`` (key -> raw value); return the keys that changed. Commits.

    Raises SettingsError naming every bad key; nothing is stored then. A value equal to the
    default removes the saved row, so a later change of the default applies again.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        try:
            cleaned[key] = validate(key, raw)
        except ValueError as error:
            errors[key] = str(error)
    if errors:
        raise SettingsError(errors)
    base = default_values(app)
    rows = {row.key: row for row in db.session.scalars(select(ClinicSetting))}
    changed: list[str] = []
    for key, value in cleaned.items():
        row = rows.get(key)
        current = row.value if row is not None else base.get(key)
        if current == value:
            continue
        changed.append(key)
        if value == base.get(key):
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                ClinicSetting(
                    key=key, value=value, updated_at=now, updated_by_staff_id=actor.staff_user_id
                )
            )
        else:
            row.value = value
            row.updated_at = now
            row.updated_by_staff_id = actor.staff_user_id
        record(
            "settings.changed",
            actor=actor,
            now=now,
            key=key,
            old=current,
            new=value,
        )
    try:
        commit_or_unknown()
    except IntegrityError:  # someone saved the same key at the same moment
        db.session.rollback()
        raise SettingsError(
            {"form": "Someone else saved the settings just now; try again."}
        ) from None
    apply_saved_settings(app)
    return changed
