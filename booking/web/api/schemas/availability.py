"""Services and free times: what GET /services and GET /availability answer."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from booking.web.api.schemas.fields import ClinicTime, _Response


class SlotOut(_Response):
    start: ClinicTime
    end: ClinicTime
    therapists: list[str] = Field(description="Slugs of the therapists free then.")


class DurationOut(_Response):
    minutes: int
    price_pence: int


class ServiceOut(_Response):
    slug: str
    name: str
    summary: str
    deep_pressure: bool
    buffer_minutes: int
    durations: list[DurationOut]
    therapists: list[str]


class ServicesOut(_Response):
    services: list[ServiceOut]


class AvailabilityOut(_Response):
    timezone: str
    service: str
    duration: int
    slots: list[SlotOut]


class AvailabilityQuery(BaseModel):
    """Query parameters of GET /api/v1/availability (documentation of its hand-read args)."""

    service: str = Field(description="Service slug.")
    duration: int = Field(description="Minutes; one the service offers.")
    from_: date = Field(alias="from", description="First clinic-local day, YYYY-MM-DD.")
    to: date = Field(description="Last clinic-local day (inclusive), at most 62 days on.")
    therapist: str | None = Field(default=None, description="Only this therapist's times.")
