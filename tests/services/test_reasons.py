"""Staff reasons must be real sentences: a few words of letters, in any alphabet."""

from __future__ import annotations

import pytest

from booking.services import reasons
from booking.services.errors import BookingError, Reason


@pytest.mark.parametrize("reason", ["", ".", "...", "ok", "x y", "!!! ???", "12345 678"])
def test_staff_reasons_must_be_real_sentences(reason):
    assert not reasons.is_real_sentence(reason)
    with pytest.raises(BookingError):
        reasons.check_reason(reason)


@pytest.mark.parametrize(
    "reason", ["GP on Thursday", "Patient phoned, letter to follow", "Врач разрешил массаж"]
)
def test_a_few_words_are_a_reason(reason):
    assert reasons.check_reason(f"  {reason} ") == reason


def test_a_refusal_names_the_field_and_says_what_to_write():
    with pytest.raises(BookingError) as refused:
        reasons.check_reason(None, field="extension_reason")
    assert refused.value.reason is Reason.INVALID
    assert refused.value.field == "extension_reason"
    assert "in a few words" in refused.value.message
