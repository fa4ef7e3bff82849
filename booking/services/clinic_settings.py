"""Clinic settings edited by the admin: validated, stored, and read as the policy in force.

The policy is a value (:class:`booking.policy.ClinicPolicy`), built from the configured
defaults and the saved rows by :func:`load_policy`: one small query, a dozen rows at most.
The web app loads it once at the start of every request (:func:`init_app`), the worker once
per pass; :func:`current_policy` returns that value, loading it when nothing did (the shell,
a test). ``app.config`` is never written: it keeps the configured defaults.

Why this is right with several workers and hosts: nothing is cached between requests. Every
process (gunicorn workers, hosts, the mail worker) reads the same table at the start of each
request or pass, so a change saved by one worker is in force everywhere from the next
request on; there is no invalidation to miss, and no shared state for threads to race on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from booking.extensions import db
from booking.models import ClinicSetting
from booking.notify.settings import DEFAULTS as MAIL_DEFAULTS
from booking.policy import (  # noqa: F401 - the editable settings, read from here by the admin page
    EDITABLE,
    KEYS,
    SPECS,
    ClinicPolicy,
    SettingSpec,
    build_policy,
    validate,
)
from booking.services.audit import Actor, record
from booking.services.errors import SettingsError
from booking.services.locking import commit as commit_or_unknown

log = logging.getLogger(__name__)

_G_KEY = "clinic_policy"


def _configured(app: Flask, key: str) -> Any:
    value = app.config.get(key)
    return MAIL_DEFAULTS.get(key) if value is None else value


def current_values() -> dict[str, Any]:
    """The value in force for each editable key (the current policy's)."""
    policy = current_policy()
    by_key = {key: name for name, key in KEYS.items()}
    return {spec.key: getattr(policy, by_key[spec.key]) for spec in EDITABLE}


def default_values(app: Flask) -> dict[str, Any]:
    """The value each editable key has without a saved row (config.py, instance, env)."""
    return {spec.key: _configured(app, spec.key) for spec in EDITABLE}


# Built once: every request runs it (see init_app).
_SAVED = select(ClinicSetting.key, ClinicSetting.value)


def saved_values() -> dict[str, Any]:
    """Return the saved values that are still valid (a bad row is ignored and logged)."""
    values: dict[str, Any] = {}
    for key, value in db.session.execute(_SAVED):
        if key not in SPECS:
            continue
        try:
            values[key] = validate(key, value)
        except ValueError:
            log.warning("ignoring invalid saved setting %s=%r", key, value)
    return values


def configured_defaults(app: Flask) -> dict[str, Any]:
    """Every policy key's configured value (``app.config``, else the mail defaults)."""
    return {key: _configured(app, key) for key in KEYS.values()}


def load_policy() -> ClinicPolicy:
    """Read the saved settings and return the policy in force (call inside an app context).

    One query. A database problem never raises: the configured defaults are used and the
    error logged, so a missing table (a database not yet migrated) cannot take the site down.
    """
    try:
        saved = saved_values()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not read clinic settings; using the configured defaults")
        saved = {}
    return build_policy(configured_defaults(current_app), saved)


def use_policy(policy: ClinicPolicy) -> ClinicPolicy:
    """Make ``policy`` the current one until the request ends (or the next pass sets its own)."""
    setattr(g, _G_KEY, policy)
    return policy


def current_policy() -> ClinicPolicy:
    """Return the policy of this request or worker pass, loading it if none was set."""
    policy = g.get(_G_KEY)
    return policy if policy is not None else use_policy(load_policy())


def init_app(app: Flask) -> None:
    """Load the policy once at the start of every request (static files need none) and
    forget it at its end."""

    @app.before_request
    def _load_policy() -> None:
        if request.endpoint != "static":
            use_policy(load_policy())

    @app.teardown_request
    def _forget_policy(error: BaseException | None = None) -> None:
        g.pop(_G_KEY, None)


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
    use_policy(load_policy())  # this request's later reads see what was saved
    return changed
