"""Confirmations: the outbox, email composition and transports.

A change a patient should hear about queues an :class:`~booking.models.OutboxMessage` in the
transaction that makes the change (:func:`booking.notify.outbox.queue`); nothing is sent
before that transaction commits, and a rolled-back change sends nothing. The worker
(:mod:`booking.worker`, ``flask booking worker``) claims due rows, builds each email
at delivery time (:mod:`booking.notify.compose`: text, HTML and the iMIP invitation of
``booking.ics``) with a freshly minted manage link, and hands the bytes to a transport
(:mod:`booking.notify.transport`: SMTP through Flask-Mail, or ``.eml`` files under
``instance/mail/``).
"""
