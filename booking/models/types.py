"""Column types shared by the models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator

from booking import crypto


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and always returned as an aware UTC datetime.

    SQLite has no time zone support and hands back naive values; PostgreSQL's
    ``timestamptz`` returns aware ones in the session zone. This type makes both the same
    and refuses naive input, so a wall-clock time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # Stored as text without offset: always UTC, so ordering and comparison work.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """A string encrypted at rest with the application's data key (see ``booking.crypto``).

    Stored as a Fernet token in a TEXT column; None stays SQL NULL. The database sees only
    ciphertext, so never filter, sort or join on such a column: the same value encrypts
    differently every time. Decryption with a wrong key raises ``DataKeyError``.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return crypto.cipher().encrypt(str(value))

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return crypto.cipher().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value (dict, list, ...) encrypted at rest like :class:`EncryptedText`.

    Python None is stored as SQL NULL (not the JSON ``null``), so ``IS NULL`` tests work.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return crypto.cipher().encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect) -> Any:
        if value is None:
            return None
        return json.loads(crypto.cipher().decrypt(value))
