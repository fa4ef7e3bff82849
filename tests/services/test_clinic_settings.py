"""Saved clinic settings: stored by the admin, read once per request and per worker pass as
the policy in force, and never written into ``app.config``."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import g
from sqlalchemy import event, select

from booking import clock
from booking.extensions import db
from booking.models import ClinicSetting, StaffRole
from booking.services import clinic_settings
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy, load_policy, use_policy
from booking.services.errors import SettingsError
from tests.support.auth import signed_in_client

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(app):
    return signed_in_client(app, StaffRole.ADMIN)


def saved(key: str, value) -> None:
    """A row as another worker (or host) would have saved it."""
    db.session.add(ClinicSetting(key=key, value=value, updated_at=NOW))
    db.session.commit()


def form(**changes) -> dict:
    data = {key.lower(): str(value) for key, value in clinic_settings.current_values().items()}
    data.update({key.lower(): value for key, value in changes.items()})
    return data


@contextmanager
def settings_reads():
    """Count the statements that read the clinic_settings table meanwhile."""
    reads: list[str] = []

    def record(conn, cursor, statement, *args):
        if "clinic_settings" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# ---- loading ---------------------------------------------------------------------------------


def test_load_policy_puts_saved_values_over_the_configured_defaults(app):
    saved("BOOKING_HORIZON_DAYS", 30)
    saved("CLINIC_URGENT_NUMBER", "116 117")
    policy = load_policy()
    assert policy.horizon_days == 30
    assert policy.urgent_number == "116 117"
    assert policy.min_notice_minutes == app.config["BOOKING_MIN_NOTICE_MINUTES"]


def test_a_bad_saved_row_is_ignored_and_its_default_used(app):
    saved("BOOKING_SLOT_MINUTES", 7)  # not on the grid's choices
    saved("HOLD_REMINDER_BEFORE_EXPIRY_HOURS", 3)
    policy = load_policy()
    assert policy.slot_minutes == 15
    assert policy.hold_reminder_before_expiry_hours == 3


def test_loading_is_one_statement(app):
    with settings_reads() as reads:
        load_policy()
    assert len(reads) == 1


def test_current_policy_loads_when_nothing_set_it_and_keeps_what_was_set(app):
    g.pop("clinic_policy", None)
    first = current_policy()
    assert current_policy() is first
    chosen = use_policy(load_policy())
    assert current_policy() is chosen


# ---- saving ----------------------------------------------------------------------------------


def test_save_stores_changes_and_this_request_sees_them(app):
    changed = clinic_settings.save(
        {"BOOKING_HORIZON_DAYS": "45"}, app=app, actor=Actor.system(), now=NOW
    )
    assert changed == ["BOOKING_HORIZON_DAYS"]
    assert current_policy().horizon_days == 45
    assert db.session.scalar(select(ClinicSetting.value)) == 45


def test_saving_the_default_removes_the_row(app):
    saved("BOOKING_HORIZON_DAYS", 30)
    clinic_settings.save({"BOOKING_HORIZON_DAYS": "60"}, app=app, actor=Actor.system(), now=NOW)
    assert db.session.scalars(select(ClinicSetting)).all() == []
    assert current_policy().horizon_days == 60


def test_bad_values_save_nothing(app):
    with pytest.raises(SettingsError) as refused:
        clinic_settings.save(
            {"BOOKING_HORIZON_DAYS": "0", "BOOKING_SLOT_MINUTES": "30"},
            app=app,
            actor=Actor.system(),
            now=NOW,
        )
    assert set(refused.value.errors) == {"BOOKING_HORIZON_DAYS"}
    assert db.session.scalars(select(ClinicSetting)).all() == []


# ---- per request, and app.config left alone --------------------------------------------------


def test_each_request_reads_the_settings_once(app, admin):
    with settings_reads() as reads:
        assert admin.get("/reception/admin/settings").status_code == 200
    assert len(reads) == 1


def test_a_setting_saved_elsewhere_is_in_force_at_the_next_request(app, admin):
    admin.get("/reception/admin/settings")
    saved("BOOKING_MIN_NOTICE_MINUTES", 360)  # another gunicorn worker saved it
    page = admin.get("/reception/admin/settings")
    assert 'name="booking_min_notice_minutes" type="text" value="360"' in page.text


def test_saving_through_the_admin_page_never_writes_app_config(app, admin):
    """The saved settings reach the code as the policy value, never by rewriting the
    shared config: a request, the next one and a worker pass all leave it as it was."""
    from booking import worker

    before = dict(app.config)
    response = admin.post(
        "/reception/admin/settings",
        data=form(BOOKING_MIN_NOTICE_MINUTES="360", CLINIC_EMERGENCY_NUMBER="112"),
    )
    assert response.status_code == 303
    page = admin.get("/reception/admin/settings")
    assert 'name="booking_min_notice_minutes" type="text" value="360"' in page.text
    assert 'name="clinic_emergency_number" type="text" value="112"' in page.text
    worker.run_pass(NOW)
    assert current_policy().emergency_number == "112"
    assert dict(app.config) == before


def test_the_policy_of_a_request_ends_with_it(app, admin):
    admin.get("/reception/admin/settings")
    assert "clinic_policy" not in g


# ---- the worker ------------------------------------------------------------------------------


def test_a_worker_pass_runs_under_the_policy_it_is_given(app):
    from booking import worker

    policy = load_policy()
    worker.run_pass(NOW, policy)
    assert current_policy() is policy


def test_each_worker_pass_reads_the_saved_settings_afresh(app):
    from booking import worker

    worker.run_pass(NOW)
    saved("HOLD_REMINDER_AFTER_BOOKING_HOURS", 12)
    worker.run_pass(NOW)
    assert current_policy().hold_reminder_after_booking_hours == 12
