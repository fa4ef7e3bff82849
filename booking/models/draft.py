"""A booking in progress: what the patient has chosen so far, kept on the server.

The flow's steps read and write one draft; the browser's session holds only its random
key. Keeping it here (not in the cookie) means contact details and, later, screen answers
never travel in a cookie, and the back button finds the values again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedJSON, UTCDateTime


class BookingDraft(db.Model):
    __tablename__ = "booking_drafts"
    __table_args__ = (Index("ix_booking_drafts_updated_at", "updated_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Contact details and the screen's answers while the patient is still booking: encrypted.
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
