"""The one error type service verbs raise when they refuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class BookingError(Exception):
    """A refusal with a stable ``reason`` code and a ``message`` a patient can read.

    ``alternatives`` carries nearby free starts when the refusal is "that time was just
    taken"; ``field`` names the input at fault when there is one.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        field: str | None = None,
        alternatives: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        self.alternatives = list(alternatives)

    def __repr__(self) -> str:
        return f"BookingError({self.reason!r})"
