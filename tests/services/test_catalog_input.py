"""What admins type into the catalogue: working hours per weekday (crossing midnight, never
into the next day's), prices in pounds, and texts cleaned or refused naming the field."""

from __future__ import annotations

import pytest

from booking.services import catalog_input
from booking.services.errors import CatalogError


def test_a_day_of_ranges_in_minutes_from_midnight_and_back():
    ranges = catalog_input.parse_day_ranges(" 14:00-18:00, 09:00\u201313:00 ")
    assert ranges == [(540, 780), (840, 1080)]
    assert catalog_input.format_day_ranges(ranges) == "09:00-13:00, 14:00-18:00"
    assert catalog_input.parse_day_ranges("22:00-02:00") == [(1320, 1560)]
    assert catalog_input.format_day_ranges([(0, 1440)]) == "00:00-24:00"
    assert catalog_input.parse_day_ranges("  ") == []  # a day off


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", "not a range"),
        ("09:00-25:00", "not a time"),
        ("10:00-10:00", "same time"),
        ("09:00-13:00, 12:00-15:00", "overlap"),
    ],
)
def test_a_bad_day_names_what_to_fix(text, message):
    with pytest.raises(ValueError, match=message):
        catalog_input.parse_day_ranges(text)


def test_a_bad_week_names_the_day():
    with pytest.raises(CatalogError) as refused:
        catalog_input.parse_week({2: "nine to five"})
    assert (refused.value.reason, refused.value.field) == ("invalid_hours", "day_2")


def test_hours_crossing_midnight_must_not_run_into_the_next_day():
    with pytest.raises(CatalogError, match="run into"):
        catalog_input.parse_week({0: "20:00-03:00", 1: "02:00-10:00"})
    with pytest.raises(CatalogError, match="Sunday"):
        catalog_input.parse_week({6: "22:00-02:00", 0: "01:00-09:00"})
    assert catalog_input.parse_week({0: "00:00-24:00"}) == [(0, 0, 1440)]


@pytest.mark.parametrize(("text", "pence"), [("55", 5500), ("52.50", 5250), ("£1,250", 125000)])
def test_prices_in_pounds(text, pence):
    assert catalog_input.parse_price(text) == pence


@pytest.mark.parametrize("text", ["", "55.5", "-5", "fifty", "55.505"])
def test_anything_else_is_not_a_price(text):
    with pytest.raises(ValueError, match="in pounds"):
        catalog_input.parse_price(text)


def test_texts_are_cleaned_and_required_ones_must_be_there():
    assert catalog_input.text_field("  Gentle back  ", "name", max_length=50) == "Gentle back"
    with pytest.raises(CatalogError) as refused:
        catalog_input.text_field(" ", "name", max_length=50, required=True)
    assert (refused.value.reason, refused.value.field) == ("required", "name")
    with pytest.raises(CatalogError) as refused:
        catalog_input.text_field("x" * 51, "name", max_length=50)
    assert (refused.value.reason, refused.value.field) == ("invalid_text", "name")
