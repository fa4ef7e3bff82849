"""The clinic policy the app ships with, as a value, for tests that pass one to a verb."""

from __future__ import annotations

import dataclasses

from booking import config as default_config
from booking.notify.settings import DEFAULTS as MAIL_DEFAULTS
from booking.policy import ClinicPolicy, build_policy


def shipped_policy(**changes) -> ClinicPolicy:
    """The policy from the shipped defaults (no saved settings), with ``changes`` applied."""
    values = dict(MAIL_DEFAULTS)
    values.update({k: v for k, v in vars(default_config).items() if k.isupper()})
    return dataclasses.replace(build_policy(values, {}), **changes)
