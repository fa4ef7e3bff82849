"""Mail: the outbox as a page, resending a message, and a test email that reports the result.

For admins and reception (a therapist has no business with every patient's address).

Resend puts the SAME row back to pending, attempts reset, for the worker to deliver: the
message keeps its Message-ID (a patient who did get the first copy sees one message, and
its invitation changes nothing in a calendar) and its snapshot (it says what was true when
it was queued; a reminder made stale by a later change is still skipped by the worker). Its
old status, attempts and last error go into the ``mail.resent`` audit event, so history is
not lost. Pending, skipped and in-flight messages are not resent.

The test email is queued like ``flask booking mail-test`` (``outbox.queue_test``), leased
so the worker leaves it alone, and delivered synchronously in the request by the worker's
own ``deliver_one``; the page reports the SMTP server's verdict. A failed test email is
marked dead, not retried: the person who pressed the button has seen the error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select, update
from wtforms.fields import EmailField

from booking import clock, validation
from booking.extensions import db
from booking.models import OutboxMessage, OutboxStatus, StaffRole
from booking.notify import outbox
from booking.notify.settings import setting
from booking.services.audit import Actor, record
from booking.services.locking import write_transaction
from booking.web.forms import _check
from booking.web.reception import bp
from booking.web.reception_guard import requires_role
from booking.worker import delivery

PAGE_SIZE = 100
RESENDABLE = (OutboxStatus.FAILED, OutboxStatus.DEAD, OutboxStatus.SENT)
TEST_LEASE = timedelta(minutes=10)


class ResendForm(FlaskForm):
    pass


class TestEmailForm(FlaskForm):
    to_address = EmailField(
        "Send a test email to", render_kw={"maxlength": 254, "autocomplete": "email"}
    )

    def validate_to_address(self, field):
        _check(validation.normalise_email)(self, field)


# --------------------------------------------------------------------------------------------
# Verbs (each owns its transaction)
# --------------------------------------------------------------------------------------------


def resend(message_id: int, *, actor: Actor, now: datetime) -> str | None:
    """Put a failed, dead or sent message back to pending; return None, or why not."""
    with write_transaction():
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:
            return "That message no longer exists."
        if message.status not in RESENDABLE:
            return f"A {message.status.value} message cannot be resent."
        if message.claimed_until is not None and message.claimed_until > now:
            return "That message is being sent right now; look again in a minute."
        previous = {
            "old_status": message.status.value,
            "old_attempts": message.attempts,
            "old_error": (message.last_error or "")[:200],
        }
        done = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status.in_(RESENDABLE),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            )
            .values(
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                claimed_until=None,
                last_error=None,
                sent_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            return "That message changed just now; look again."
        record(
            "mail.resent",
            actor=actor,
            now=now,
            booking=message.booking,
            message_id=message.id,
            kind=message.kind.value,
            **previous,
        )
    return None


def send_test(to_address: str, *, actor: Actor, now: datetime) -> tuple[bool, str]:
    """Send a test email now; return (success, what happened in plain words)."""
    with write_transaction():
        message = outbox.queue_test(to_address, now=now)
        message.claimed_until = now + TEST_LEASE  # the worker must not send it too
        record("mail.test_sent", actor=actor, now=now, message_id=message.id)
        message_id = message.id
    outcome = delivery.deliver_one(message_id, now=now)
    db.session.rollback()
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if outcome == "sent":
        server = setting("MAIL_SERVER")
        if server:
            return True, (
                f"The mail server {server}:{setting('MAIL_PORT')} accepted the test email "
                f"to {to_address}."
            )
        return True, (
            "No mail server is configured (MAIL_SERVER is not set): the test email was "
            "written to a file under instance/mail/ instead of being sent."
        )
    error = (message.last_error if message else None) or outcome
    if message is not None and message.status is OutboxStatus.FAILED:
        with write_transaction():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
                .values(status=OutboxStatus.DEAD, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
    return False, f"The test email to {to_address} could not be sent: {error}"


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _status_filter() -> OutboxStatus | None:
    try:
        return OutboxStatus(request.args.get("status", ""))
    except ValueError:
        return None


def _page(test_form: TestEmailForm):
    status = _status_filter()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "reception/mail.html",
        messages=list(db.session.scalars(query)),
        status=status,
        statuses=list(OutboxStatus),
        counts={OutboxStatus(k): v for k, v in counts.items()},
        resendable=RESENDABLE,
        resend_form=ResendForm(),
        test_form=test_form,
        mail_server=current_app.config.get("MAIL_SERVER"),
        page_size=PAGE_SIZE,
    )


@bp.get("/mail")
@requires_role(StaffRole.ADMIN, StaffRole.RECEPTION)
def mail():
    return _page(TestEmailForm())


@bp.post("/mail/<int:message_id>/resend")
def mail_resend(message_id: int):
    # Load first (404), then authorise (403), like the booking actions.
    db.session.get(OutboxMessage, message_id) or abort(404)
    return _resend(message_id)


@requires_role(StaffRole.ADMIN, StaffRole.RECEPTION)
def _resend(message_id: int):
    form = ResendForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
    else:
        problem = resend(message_id, actor=Actor.staff(current_user.id), now=clock.now())
        if problem:
            flash(problem, "error")
        else:
            flash(f"Message {message_id} will be sent again by the mail worker shortly.")
    return redirect(url_for("reception.mail", status=request.args.get("status") or None), 303)


@bp.post("/mail/test")
@requires_role(StaffRole.ADMIN, StaffRole.RECEPTION)
def mail_test():
    form = TestEmailForm()
    if not form.validate_on_submit():
        return _page(form), 400
    ok, report = send_test(
        form.to_address.data, actor=Actor.staff(current_user.id), now=clock.now()
    )
    flash(report, "success" if ok else "error")
    return redirect(url_for("reception.mail"), 303)
