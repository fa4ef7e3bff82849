"""Freed times: each booked time that came free before it began (the refill figures);
waitlist entries keep the API's idempotency key

Revision ID: 7c3a9e51d2f4
Revises: 7f3a9c1e5d20
Create Date: 2026-12-02 18:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = "7c3a9e51d2f4"
down_revision = "7f3a9c1e5d20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "freed_times",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("freed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("therapist_id", sa.Integer(), sa.ForeignKey("therapists.id"), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column(
            "booking_id",
            sa.Integer(),
            sa.ForeignKey("bookings.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_index("ix_freed_times_freed_at", "freed_times", ["freed_at"])
    with op.batch_alter_table("waitlist_entries") as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_waitlist_entries_form_key", ["form_key"])


def downgrade():
    with op.batch_alter_table("waitlist_entries") as batch_op:
        batch_op.drop_constraint("uq_waitlist_entries_form_key", type_="unique")
        batch_op.drop_column("form_key")
    op.drop_index("ix_freed_times_freed_at", table_name="freed_times")
    op.drop_table("freed_times")
