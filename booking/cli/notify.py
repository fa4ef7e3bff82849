"""``flask booking worker|outbox|expire-holds|mail-test|feed-token``: confirmations and feeds.

Thin wrappers over :mod:`booking.worker`, :mod:`booking.notify` and the feed tokens;
``booking.cli`` adds this group's commands to ``flask booking``.
"""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask.cli import AppGroup
from sqlalchemy import select

from booking import clock, worker
from booking.extensions import db
from booking.models import FeedToken, OutboxMessage, OutboxStatus, Therapist
from booking.notify import outbox
from booking.notify.settings import public_url, setting
from booking.services import feed_tokens
from booking.services.audit import Actor
from booking.services.locking import write_transaction
from booking.worker import jobs

group = AppGroup("notify", help="The worker, the outbox and staff calendar feeds.")

log = logging.getLogger("booking.worker")


def _summary(counts) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value) or "idle"


@group.command("worker")
@click.option("--once", is_flag=True, help="Do one pass and exit (for cron).")
def worker_command(once: bool) -> None:
    """Deliver queued emails and run the hold expiry and reminder jobs, until stopped."""
    if once:
        click.echo(_summary(worker.run_pass(clock.now())))
        return
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        # Finish the message in hand, then leave: nothing is half-recorded.
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    poll = float(setting("WORKER_POLL_SECONDS"))
    click.echo(f"Worker started (every {poll:g} s); Ctrl-C or SIGTERM stops it.")
    while not stop.is_set():
        try:
            # Each pass reads the policy admins saved (hold timings, reminders) afresh.
            counts = worker.run_pass(clock.now())
            if counts.total():
                click.echo(_summary(counts))
        except Exception:
            # A database hiccup must not kill the worker; the next pass tries again.
            db.session.rollback()
            log.exception("worker pass failed")
        finally:
            db.session.remove()
        stop.wait(poll)
    click.echo("Worker stopped.")


@group.command("outbox")
@click.option(
    "--status",
    type=click.Choice([s.value for s in OutboxStatus]),
    help="Only messages with this status.",
)
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
def outbox_command(status: str | None, limit: int) -> None:
    """List queued and sent emails with their status, attempts and last error."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = list(db.session.scalars(query))
    if not rows:
        click.echo("No messages.")
        return
    click.echo(f"{'id':>5}  {'created (UTC)':16}  {'kind':20}  {'status':8}  tries  next/sent")
    for row in rows:
        when = row.sent_at if row.status is OutboxStatus.SENT else row.next_attempt_at
        click.echo(
            f"{row.id:>5}  {row.created_at:%Y-%m-%d %H:%M}  {row.kind:20}  {row.status:8}  "
            f"{row.attempts:>5}  {when:%Y-%m-%d %H:%M}"
        )
        if row.last_error:
            click.echo(f"       last error: {row.last_error}")


@group.command("expire-holds")
def expire_holds_command() -> None:
    """Mark overdue holds expired and queue their cancellation emails, once."""
    queued = jobs.expire_holds(clock.now())
    click.echo(f"Queued {queued} hold-expired message(s).")


@group.command("mail-test")
@click.option("--to", "to_address", required=True, help="Where to send the test email.")
def mail_test_command(to_address: str) -> None:
    """Queue a test email (no booking, no invitation); the worker sends it."""
    with write_transaction():
        message = outbox.queue_test(to_address, now=clock.now())
    click.echo(f"Queued test message {message.id}; run `flask booking worker --once`.")


@group.group("feed-token")
def feed_token_group() -> None:
    """Staff calendar feed URLs: create, list, revoke."""


@feed_token_group.command("create")
@click.option("--therapist", "slug", help="The therapist's slug; omit for the whole clinic.")
@click.option("--label", default="", help="A note for the list, e.g. whose phone.")
def feed_token_create(slug: str | None, label: str) -> None:
    """Create a feed URL and print it (shown once: only its hash is stored)."""
    therapist_id = None
    if slug:
        therapist = db.session.scalar(select(Therapist).where(Therapist.slug == slug))
        if therapist is None:
            raise click.UsageError(f"No therapist with slug {slug!r}.")
        therapist_id = therapist.id
    row, token = feed_tokens.create(
        therapist_id=therapist_id, label=label, actor=Actor.system(), now=clock.now()
    )
    click.echo(
        f"Feed {row.id} ({slug or 'whole clinic'}). Subscribe to this URL; it is shown once:"
    )
    click.echo(public_url(f"/feeds/{token}.ics"))


@feed_token_group.command("list")
def feed_token_list() -> None:
    """List feed tokens (never the URLs: they are not stored)."""
    rows = list(db.session.scalars(select(FeedToken).order_by(FeedToken.id)))
    if not rows:
        click.echo("No feed tokens.")
        return
    for row in rows:
        whose = row.therapist.slug if row.therapist else "whole clinic"
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.id:>4}  {whose:24}  {state:24}  {row.label}")


@feed_token_group.command("revoke")
@click.option("--id", "token_id", type=int, required=True, help="The feed token's id.")
def feed_token_revoke(token_id: int) -> None:
    """Revoke a feed URL: it answers 404 from now on."""
    row = db.session.get(FeedToken, token_id)
    if row is None:
        raise click.UsageError(f"No feed token {token_id}.")
    feed_tokens.revoke(row, actor=Actor.system(), now=clock.now())
    click.echo(f"Feed token {token_id} revoked.")
