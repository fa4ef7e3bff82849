"""Verbs that own a transaction (book, reschedule, cancel, ...) and the reads views share.

A verb takes the actor and ``now`` as arguments, commits or rolls back itself, and raises
``BookingError`` with a reason code and a message a patient can read when it refuses.
"""
