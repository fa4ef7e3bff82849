"""What the clinic sells: services and their duration/price options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db

if TYPE_CHECKING:
    from booking.models.people import Therapist

therapist_services = Table(
    "therapist_services",
    db.metadata,
    Column("therapist_id", ForeignKey("therapists.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Service(db.Model):
    """A treatment a patient can book, e.g. "Therapeutic back massage"."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
        CheckConstraint(
            "course_sessions IS NULL OR course_sessions BETWEEN 0 AND 12",
            name="course_sessions_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    # Markdown, written by clinic staff; rendered without raw HTML.
    body: Mapped[str] = mapped_column(Text, default="")
    suits: Mapped[str] = mapped_column(String(300), default="")
    # Linen, notes and a breather after each session; the slot is busy until then.
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # Firm, deep pressure: not offered to patients the pain screen flags.
    deep_pressure: Mapped[bool] = mapped_column(Boolean, default=False)
    new_patients: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How many sessions a course of this treatment has; None or 0: no course is offered.
    course_sessions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    durations: Mapped[list[ServiceDuration]] = relationship(
        back_populates="service",
        order_by="ServiceDuration.minutes",
        cascade="all, delete-orphan",
    )
    therapists: Mapped[list[Therapist]] = relationship(
        secondary=therapist_services, back_populates="services", order_by="Therapist.position"
    )

    @property
    def offers_course(self) -> bool:
        return bool(self.course_sessions and self.course_sessions > 1)

    def duration(self, minutes: int) -> ServiceDuration | None:
        """Return the option lasting ``minutes``, or None if the service has none."""
        return next((d for d in self.durations if d.minutes == minutes), None)

    def __repr__(self) -> str:
        return f"<Service {self.slug}>"


class ServiceDuration(db.Model):
    """One bookable length of a service, with its price."""

    __tablename__ = "service_durations"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        db.UniqueConstraint("service_id", "minutes", name="uq_service_durations_service_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    # Money in minor units, never floats.
    price_pence: Mapped[int] = mapped_column(Integer)

    service: Mapped[Service] = relationship(back_populates="durations")

    def __repr__(self) -> str:
        return f"<ServiceDuration {self.minutes} min {self.price_pence}p>"
