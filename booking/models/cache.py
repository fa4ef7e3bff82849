"""A version number that database triggers raise whenever availability may have changed."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db

SCHEDULE = "schedule"

# Tables whose changes can change what is bookable. Each has triggers (see the migration
# "availability cache version") that bump the ``schedule`` row in the same transaction.
SCHEDULE_TABLES = (
    "bookings",
    "working_hours",
    "time_off",
    "closures",
    "therapists",
    "therapist_services",
    "services",
    "service_durations",
    "rooms",
)


class CacheVersion(db.Model):
    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
