"""``flask booking ...``: thin wrappers over service verbs and the demo seed."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from booking import clock

booking_cli = AppGroup("booking", help="Clinic booking commands.")


@booking_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Fill an empty database with the demo clinic (does nothing if it has services)."""
    from booking.demo import seed_demo

    created = seed_demo(now=clock.now())
    if created:
        click.echo("Seeded the demo clinic: services, therapists, rooms, hours and a holiday.")
    else:
        click.echo("The database already has a clinic; nothing seeded.")


@booking_cli.command("purge")
def purge_command() -> None:
    """Delete screen answers of never-confirmed bookings past retention, and old drafts."""
    from booking.services.retention import purge

    report = purge(now=clock.now())
    click.echo(
        f"Removed the answers of {report.answers_removed} unconfirmed booking(s) and "
        f"{report.drafts_removed} unfinished booking draft(s)."
    )


def register_cli(app: Flask) -> None:
    from booking import (
        cli_check,  # noqa: F401 - its commands join booking_cli
        cli_notify,  # noqa: F401 - its commands join booking_cli
        cli_security,  # noqa: F401 - its commands join booking_cli
        cli_staff,  # noqa: F401 - its commands join booking_cli
    )

    app.cli.add_command(booking_cli)
