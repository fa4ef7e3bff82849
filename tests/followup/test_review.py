"""The staff side of follow-ups (``services.followup.review``): whose follow-up waits.

Every staff role may see that a patient's follow-up needs the therapist; a follow-up counts
only while it is flagged and nobody has marked it seen, and an empty question costs nothing.
"""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.models import FollowUp
from booking.services.followup import review
from tests.followup.helpers import END, START, completed_session
from tests.support.notify import make_clinic


def follow_up(booking, **fields) -> FollowUp:
    row = FollowUp(
        booking_id=booking.id,
        patient_id=booking.patient_id,
        expires_at=END + timedelta(days=7),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_only_flagged_follow_ups_not_yet_seen_wait_for_the_therapist(app):
    clinic = make_clinic(service_name="Back massage")
    flagged = completed_session(clinic, email="flagged@example.org")
    seen = completed_session(clinic, start=START + timedelta(days=1), email="seen@example.org")
    calm = completed_session(clinic, start=START + timedelta(days=2), email="calm@example.org")
    follow_up(flagged, needs_review=True)
    follow_up(seen, needs_review=True, reviewed_at=END + timedelta(days=1))
    follow_up(calm, needs_review=False)
    patients = {flagged.patient_id, seen.patient_id, calm.patient_id}
    assert len(patients) == 3
    assert review.awaiting_review(patients) == {flagged.patient_id}
    assert review.awaiting_review([]) == set()
