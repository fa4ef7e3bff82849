"""The clinic policy as a value: built from defaults and saved settings, typed, bounded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking import config as default_config
from booking.notify.settings import DEFAULTS as MAIL_DEFAULTS
from booking.policy import EDITABLE, KEYS, ClinicPolicy, PolicyError, build_policy
from tests.support.policy import shipped_policy


def defaults(**changes) -> dict:
    """The shipped defaults, as create_app layers them (config.py over the mail defaults)."""
    values = dict(MAIL_DEFAULTS)
    values.update({k: v for k, v in vars(default_config).items() if k.isupper()})
    values.update(changes)
    return values


def test_the_shipped_defaults_make_the_documented_policy():
    policy = build_policy(defaults(), {})
    assert policy.zone == ZoneInfo("Europe/London")
    assert (policy.emergency_number, policy.urgent_number) == ("999", "111")
    assert policy.slot_minutes == 15
    assert policy.min_notice == timedelta(hours=2)
    assert policy.horizon == timedelta(days=60)
    assert (policy.cancel_cutoff_hours, policy.reschedule_cutoff_hours) == (24, 24)
    assert policy.hold_max_after_booking == timedelta(hours=48)
    assert policy.hold_before_start == timedelta(hours=24)
    assert policy.hold_working_day_hours == "09:00-17:00"
    assert policy.clearance_valid_days == 183
    assert policy.reminder_offsets_hours == (24,)
    assert (policy.hold_reminder_after_booking_hours, policy.hold_reminder_before_expiry_hours) == (
        24,
        6,
    )


def test_every_field_has_a_shipped_default_and_every_editable_key_a_field():
    assert set(KEYS) == {field.name for field in dataclasses.fields(ClinicPolicy)}
    assert {spec.key for spec in EDITABLE} <= set(KEYS.values())
    shipped = defaults()
    assert all(shipped.get(key) is not None for key in KEYS.values())


def test_a_saved_value_wins_over_its_default_and_leaves_the_others():
    policy = build_policy(
        defaults(), {"BOOKING_MIN_NOTICE_MINUTES": 360, "CLINIC_URGENT_NUMBER": "116 117"}
    )
    assert policy.min_notice_minutes == 360
    assert policy.urgent_number == "116 117"
    assert policy.horizon_days == 60
    assert policy.emergency_number == "999"


def test_the_policy_is_frozen():
    policy = build_policy(defaults(), {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.horizon_days = 1  # type: ignore[misc]


def test_values_are_coerced_to_their_types():
    policy = build_policy(
        defaults(
            CLINIC_TIMEZONE="Europe/Berlin",
            BOOKING_HORIZON_DAYS="30",
            REMINDER_OFFSETS_HOURS=[48, "24", 24],
        ),
        {"HOLD_EXTENSION_HOURS": "72", "CLINIC_EMERGENCY_NUMBER": " 112  "},
    )
    assert policy.zone == ZoneInfo("Europe/Berlin")
    assert policy.horizon_days == 30 and isinstance(policy.horizon_days, int)
    assert policy.hold_extension_hours == 72
    assert policy.reminder_offsets_hours == (24, 48)
    assert policy.emergency_number == "112"


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("BOOKING_SLOT_MINUTES", 7, "Choose one of"),
        ("BOOKING_HORIZON_DAYS", 0, "from 1 to 730"),
        ("BOOKING_MIN_NOTICE_MINUTES", True, "whole number"),
        ("SCREEN_HOLD_PAIN_SCORE", 12, "from 0 to 11"),
        ("FOLLOW_UP_DELAY_HOURS", 12, "from 24 to 48"),
        ("CLINIC_URGENT_NUMBER", "<script>", "digits and spaces"),
    ],
)
def test_a_saved_value_out_of_bounds_is_refused_naming_its_key(key, value, words):
    with pytest.raises(PolicyError, match=key) as refused:
        build_policy(defaults(), {key: value})
    assert words in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CLINIC_TIMEZONE", "Mars/Olympus_Mons"),
        ("HOLD_WORKING_DAY_HOURS", "nine to five"),
        ("CLEARANCE_VALID_DAYS", 0),
        ("WAITLIST_MAX_ENTRIES_PER_EMAIL", "many"),
        ("REMINDER_OFFSETS_HOURS", "24"),
        ("BOOKING_HORIZON_DAYS", None),
        ("BOOKING_MIN_NOTICE_MINUTES", -5),
        ("CLINIC_EMERGENCY_NUMBER", " "),
    ],
)
def test_a_configured_default_that_cannot_be_used_is_refused(key, value):
    with pytest.raises(PolicyError, match=key):
        build_policy(defaults(**{key: value}), {})


def test_a_configured_default_is_typed_but_not_held_to_the_admin_pages_bounds():
    # The follow-up job holds its delay to 24-48 hours itself; the page's bounds are for
    # what admins type.
    policy = build_policy(defaults(FOLLOW_UP_DELAY_HOURS=2, BOOKING_SLOT_MINUTES="7"), {})
    assert (policy.follow_up_delay_hours, policy.slot_minutes) == (2, 7)
    with pytest.raises(PolicyError, match="FOLLOW_UP_DELAY_HOURS"):
        build_policy(defaults(FOLLOW_UP_DELAY_HOURS="soon"), {})


def test_only_editable_settings_can_be_saved():
    with pytest.raises(PolicyError, match="CLEARANCE_VALID_DAYS"):
        build_policy(defaults(), {"CLEARANCE_VALID_DAYS": 10})


def test_the_builder_reads_no_flask_and_no_database():
    import ast
    from pathlib import Path

    import booking.policy

    tree = ast.parse(Path(booking.policy.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {
        "__future__",
        "re",
        "collections",
        "dataclasses",
        "datetime",
        "typing",
        "zoneinfo",
    }


def test_inside_the_notice_is_a_start_still_to_come_but_too_soon():
    policy = shipped_policy(min_notice_minutes=120)
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    assert policy.inside_notice(now, now)
    assert policy.inside_notice(now + timedelta(minutes=119), now)
    assert not policy.inside_notice(now + timedelta(minutes=120), now)
    assert not policy.inside_notice(now - timedelta(minutes=1), now)  # already begun
