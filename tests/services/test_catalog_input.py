"""What admins type into the catalogue: working hours per weekday."""

from __future__ import annotations

import pytest

from booking.services import catalog_input
from booking.services.errors import CatalogError


def test_hours_crossing_midnight_must_not_run_into_the_next_day():
    with pytest.raises(CatalogError, match="run into"):
        catalog_input.parse_week({0: "20:00-03:00", 1: "02:00-10:00"})
    with pytest.raises(CatalogError, match="Sunday"):
        catalog_input.parse_week({6: "22:00-02:00", 0: "01:00-09:00"})
    assert catalog_input.parse_week({0: "00:00-24:00"}) == [(0, 0, 1440)]
