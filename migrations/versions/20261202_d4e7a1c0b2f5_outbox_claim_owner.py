"""Outbox claims name their owner, so only the worker holding a lease sends the message

Revision ID: d4e7a1c0b2f5
Revises: c9cbfe1d17ed
Create Date: 2026-12-02 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d4e7a1c0b2f5"
down_revision = "c9cbfe1d17ed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("claimed_by")
