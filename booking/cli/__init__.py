"""``flask booking ...``: thin wrappers over service verbs, one module per topic.

Each topic module defines its commands on its own ``group``; this package adds them all,
flat, to ``flask booking`` (``flask booking worker``, not ``flask booking notify worker``),
so the command names stay what the README and the Makefile use.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from booking.cli import check, data, notify, security, staff

TOPICS = (data.group, staff.group, security.group, notify.group, check.group)


def _booking_group() -> AppGroup:
    booking = AppGroup("booking", help="Clinic booking commands.")
    for topic in TOPICS:
        for name, command in topic.commands.items():
            if name in booking.commands:
                raise RuntimeError(f"Two topics define `flask booking {name}`.")
            booking.add_command(command, name)
    return booking


booking_cli = _booking_group()


def register_cli(app: Flask) -> None:
    app.cli.add_command(booking_cli)
