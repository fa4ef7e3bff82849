"""Phone-only patients: a patient booked by reception may have no email address.

Online and API bookings still require one (the forms and the booking verb refuse them
without); NULL rather than "" keeps the unique index meaning "one row per address" on
both databases, since NULLs never collide.

Revision ID: 5e1f0c2a7d3b
Revises: 4d1e7a9c2b60
Create Date: 2026-12-02 14:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5e1f0c2a7d3b"
down_revision = "4d1e7a9c2b60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patients") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=True)


def downgrade():
    # A phone-only patient cannot go back to a schema that needs an address: give them a
    # placeholder that no mail provider will accept and that stays unique per row.
    op.execute(
        "UPDATE patients SET email = 'no-email-' || id || '@invalid' WHERE email IS NULL"
    )
    with op.batch_alter_table("patients") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
