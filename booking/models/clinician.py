"""A clinician's own link: the patient asks their GP or physio to tell us directly.

One ``ClinicianLink`` per request the patient sends (the clinician's name and address, both
encrypted: together with the booking they say the patient is seeing a clinician). Its
tokens are minted when the email is sent and stored only as hashes; a resent copy of the
email carries a second token to the same link. The link works once (``used_at``) and only
while its booking is a live hold, so it expires with the hold, extensions included.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedText, UTCDateTime

if TYPE_CHECKING:
    from booking.models.booking import Booking


class ClinicianLink(db.Model):
    """One request for a clearance, sent to one clinician for one held booking."""

    __tablename__ = "clinician_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    clinician_name: Mapped[str] = mapped_column(EncryptedText)
    clinician_email: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Set by the one submission that used it (compare-and-set on NULL).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    booking: Mapped[Booking] = relationship()


class ClinicianLinkToken(db.Model):
    """One working URL of a clinician link, minted when its email is sent."""

    __tablename__ = "clinician_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("clinician_links.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    link: Mapped[ClinicianLink] = relationship()
