"""Indexes for counting one person's bookings: lower-cased email addresses.

The online caps count a person's future bookings by ``lower(contact_email)``, exactly or as
a ``+tag`` variant (a LIKE with a fixed prefix), and by the patients whose lower-cased
address matches. Without an index on those expressions each booking scanned every future
booking in the clinic. On PostgreSQL the operator class ``text_pattern_ops`` lets the same
index answer both the equality and the prefix LIKE whatever the database's collation.

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
    ("ix_bookings_contact_email_lower", "bookings", "contact_email"),
    ("ix_patients_email_lower", "patients", "email"),
)


def upgrade():
    ops = " text_pattern_ops" if op.get_context().dialect.name == "postgresql" else ""
    for name, table, column in INDEXES:
        op.create_index(name, table, [sa.text(f"lower({column}){ops}")])


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
