"""Refused staff sign-ins, counted per (account, source address) to slow guessing down.

A row is one typed account (the normalised email, whether or not it has an account, so the
answer never reveals which do) tried from one address. Refusals from other addresses, the
staff member's own among them, are not affected by it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import UTCDateTime


class SignInThrottle(db.Model):
    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("account_key", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(254), index=True)
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once the failures pass the free allowance; each further refusal pushes it on.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
