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


def register_cli(app: Flask) -> None:
    app.cli.add_command(booking_cli)
