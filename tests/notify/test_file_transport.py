"""Without MAIL_SERVER, each email becomes an .eml file under instance/mail/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from booking import clock
from booking.models import MessageKind
from booking.worker.delivery import deliver_due
from tests.support.notify import book, check_structure, ensure_queued, make_clinic, messages

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)


def test_without_a_mail_server_emails_are_written_as_eml_files(app):
    assert not app.config.get("MAIL_SERVER")
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    ensure_queued(MessageKind.BOOKED, booking, now=NOW)
    assert deliver_due(NOW)["sent"] == 1

    (message,) = messages(booking.id)
    path = Path(app.instance_path) / "mail" / f"20270310T090000Z-{message.id}-booked.eml"
    assert path.is_file()
    assert not list(path.parent.glob(".tmp-*"))  # written atomically, nothing left over
    invitation = check_structure(path.read_bytes())
    assert invitation.message["Message-ID"] == message.message_id
    assert invitation.method == "REQUEST"
