"""Staff calendar feeds: the revocable tokens behind ``/feeds/<token>.ics``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import UTCDateTime

if TYPE_CHECKING:
    from booking.models.people import Therapist


class FeedToken(db.Model):
    """One subscription URL: a therapist's own bookings, or the whole clinic's.

    ``therapist_id`` None means clinic-wide. The token is random and shown once, when it is
    created; only its SHA-256 is stored (see ``booking.tokens``). Revoking sets
    ``revoked_at`` and the URL then answers 404 like any other miss.
    """

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("therapists.id", ondelete="CASCADE"), nullable=True, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    therapist: Mapped[Therapist | None] = relationship()

    def __repr__(self) -> str:
        return f"<FeedToken {self.id} therapist={self.therapist_id}>"
