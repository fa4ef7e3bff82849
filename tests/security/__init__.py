"""The project's own hostile suite: headers, limits, input limits, errors and logs.

Each test attacks the running application through the test client, as a stranger on the
internet would, and checks that the answer is a refusal that changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from booking.models import BookingStatus
from booking.services import manage_links
from tests.support.builders import make_booking, make_patient
from tests.support.database import DEFAULT_NOW


def booking_with_token(*, status=BookingStatus.CONFIRMED, email="pat@example.org", **fields):
    """A future booking (3 days ahead) and a live manage token for it; committed."""
    from booking.extensions import db

    patient = make_patient(email=email)
    booking = make_booking(
        starts_at=DEFAULT_NOW + timedelta(days=3),
        status=status,
        patient=patient,
        contact_name=patient.name,
        contact_email=email,
        created_at=DEFAULT_NOW,
        updated_at=DEFAULT_NOW,
        **fields,
    )
    token = manage_links.mint(booking, now=DEFAULT_NOW)
    db.session.commit()
    return booking, token
