"""A clinician's own link: requests to a GP or physio, their tokens, and what they allow.

New tables clinician_links and clinician_link_tokens; clearances get the clinician's
registration number (encrypted text) and the source "clinician"; the audit trail the actor
"clinician"; the outbox the kind "clinician_request".

Revision ID: b5d2e8c41f07
Revises: 7c3a9e1f5b24
Create Date: 2026-12-03 09:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b5d2e8c41f07"
down_revision = "7c3a9e1f5b24"
branch_labels = None
depends_on = None

KINDS = [
    "booked",
    "held",
    "hold_reminder",
    "clearance_confirmed",
    "rescheduled",
    "cancelled",
    "hold_released",
    "hold_expired",
    "appointment_reminder",
    "test",
    "staff_sign_in_alert",
    "follow_up",
    "waitlist_joined",
    "waitlist_offer",
]
SOURCES = ["patient", "phone", "letter", "email"]
ACTORS = ["staff", "patient", "system"]


def _check(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace_check(table, column, values):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
        batch_op.create_check_constraint(column, _check(column, values))


def upgrade():
    op.create_table(
        "clinician_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("clinician_name", sa.Text(), nullable=False),
        sa.Column("clinician_email", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_clinician_links_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_links")),
    )
    with op.batch_alter_table("clinician_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinician_links_booking_id"), ["booking_id"], unique=False
        )
    op.create_table(
        "clinician_link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["clinician_links.id"],
            name=op.f("fk_clinician_link_tokens_link_id_clinician_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_clinician_link_tokens_token_hash")),
    )
    with op.batch_alter_table("clinician_link_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinician_link_tokens_link_id"), ["link_id"], unique=False
        )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clinician_registration", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.alter_column("clinician_registration", server_default=None)
    _replace_check("clearances", "source", SOURCES + ["clinician"])
    _replace_check("audit_events", "actor_kind", ACTORS + ["clinician"])
    _replace_check("outbox_messages", "kind", KINDS + ["clinician_request"])


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'clinician_request'")
    op.execute("DELETE FROM audit_events WHERE actor_kind = 'clinician'")
    op.execute("DELETE FROM clearances WHERE source = 'clinician'")
    _replace_check("outbox_messages", "kind", KINDS)
    _replace_check("audit_events", "actor_kind", ACTORS)
    _replace_check("clearances", "source", SOURCES)
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_column("clinician_registration")
    with op.batch_alter_table("clinician_link_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinician_link_tokens_link_id"))
    op.drop_table("clinician_link_tokens")
    with op.batch_alter_table("clinician_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinician_links_booking_id"))
    op.drop_table("clinician_links")
