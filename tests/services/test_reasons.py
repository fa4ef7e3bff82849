"""Staff reasons must be real sentences: a few words of letters, in any alphabet."""

from __future__ import annotations

import pytest

from booking.services import reasons
from booking.services.errors import BookingError, Reason


@pytest.mark.parametrize(
    "text",
    ["GP appointment booked for Friday", "Called the GP", "Врач разрешил массаж"],
)
def test_a_real_sentence_is_accepted_and_stripped(text):
    assert reasons.check_reason(f"  {text} \n") == text


@pytest.mark.parametrize("text", [None, "", ".", "ok", "ok ok", "12345 67890", "a b c d e f"])
def test_too_little_to_tell_anyone_is_refused_naming_the_field(text):
    with pytest.raises(BookingError) as refused:
        reasons.check_reason(text, field="extension_reason")
    assert refused.value.reason is Reason.INVALID
    assert refused.value.field == "extension_reason"
    assert "in a few words" in refused.value.message
