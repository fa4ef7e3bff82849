"""Every DOMAIN.md screen rule through the pure rules (the same table as the API and form)."""

from __future__ import annotations

import pytest

from booking.intake import Outcome, assess, outcome_text, parse_answers
from tests.screen_scenarios import IDS, SCENARIOS, Scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scenario_through_the_pure_rules(scenario: Scenario) -> None:
    result = assess(scenario.answers)
    assert result.outcome is scenario.outcome
    assert set(scenario.codes) <= set(result.codes)
    # The answers survive the trip through JSON unchanged, so every channel sees the same.
    assert parse_answers(scenario.answers.to_data()) == scenario.answers
    if scenario.booking_status is None:
        text = outcome_text(result, emergency_number="999", urgent_number="111")
        assert text and "we have not made a booking" in text[0].lower()


def test_the_table_reaches_every_outcome_and_every_question() -> None:
    assert {s.outcome for s in SCENARIOS} == set(Outcome)
    questions = {int(code[1]) for s in SCENARIOS for code in s.codes}
    assert questions >= {1, 3, 4, 5, 6, 7, 8, 9}
