"""Indexes for counting one person's bookings: addresses in canonical form.

The online caps count a person's future bookings by the booking's contact address and by
the patients with that address, as one person whatever case or ``+tag`` each was typed
with. Without an index each booking scanned every future booking in the clinic. On
PostgreSQL the index is on the canonical form itself (lower case, the ``+tag`` removed),
the expression the caps query compares by equality. SQLite gets the lower-cased address,
which serves the exact half of its test (its LIKE for the ``+tag`` variants cannot use it).

Revision ID: a3c8e5f1d7b2
Revises: f2a7c9d15e63
Create Date: 2026-12-04 20:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a3c8e5f1d7b2"
down_revision = "f2a7c9d15e63"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_bookings_contact_email_person", "bookings", "contact_email"),
    ("ix_patients_email_person", "patients", "email"),
)
# Kept here, not imported: the same expression as services.bookings.checks._canonical.
CANONICAL = r"regexp_replace(lower({column}), '^([^+@]+)[+][^@]*@', '\1@')"


def upgrade():
    postgresql = op.get_context().dialect.name == "postgresql"
    for name, table, column in INDEXES:
        expression = CANONICAL.format(column=column) if postgresql else f"lower({column})"
        op.create_index(name, table, [sa.text(expression)])


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
