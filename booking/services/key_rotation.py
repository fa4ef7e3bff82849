"""Key rotation: every value encrypted at rest re-encrypted with the newest data key.

Run by ``flask booking rotate-data-key``, step 2 of the rotation ``booking.crypto``
describes. Works on the stored tokens as text, so it never needs the plaintext in Python
objects and never changes a value that was written meanwhile.
"""

from __future__ import annotations

from sqlalchemy import Text, column, select, table, update

from booking import (
    crypto,
    models,  # noqa: F401 - every table registered on the metadata
)
from booking.extensions import db
from booking.models.types import EncryptedJSON, EncryptedText


def encrypted_columns() -> list[tuple[str, str]]:
    """Return ``(table, column)`` for every column stored encrypted, in a stable order."""
    return [
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText | EncryptedJSON)
    ]


def rotate_all(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value with the newest key; return counts per column.

    Reads the stored tokens as plain text (no decoding into Python values), rotates each
    and writes it back only if it has not changed meanwhile (compare-and-set), committing
    per batch: safe to run while the application serves, and to run again. Raises
    DataKeyError, before changing that value, if one cannot be decrypted with any key.
    """
    active = crypto.cipher()
    counts: dict[str, int] = {}
    for table_name, column_name in encrypted_columns():
        # The key's own type: most ids are integers, a draft's is a random string.
        id_type = db.metadata.tables[table_name].c.id.type
        raw = table(table_name, column("id", id_type), column(column_name, Text))
        value = raw.c[column_name]
        done, last_id = 0, None
        while True:
            after = raw.c.id > last_id if last_id is not None else raw.c.id.is_not(None)
            rows = db.session.execute(
                select(raw.c.id, value)
                .where(after, value.is_not(None))
                .order_by(raw.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            for row_id, token in rows:
                rotated = active.rotate(token)
                done += db.session.execute(
                    update(raw).where(raw.c.id == row_id, value == token).values({value: rotated})
                ).rowcount
            last_id = rows[-1][0]
            db.session.commit()
        counts[f"{table_name}.{column_name}"] = done
    return counts
