"""Waitlist: entries, their links, offers; an "offered" booking state that blocks like a hold.

An open offer reserves its time with a bookings row in the state 'offered' whose expiry is
hold_expires_at, so the PostgreSQL exclusion constraints now cover 'offered' as they cover
'held'. As with holds, a dead offer row still has its state until something removes it, so
the booking verbs remove overdue offer rows before they write (services.waitlist.reservations).

SQLite recreates the bookings table to change its CHECK constraints, which drops the
availability-cache triggers on it: they are recreated here.

Revision ID: 4b7e2a91c0d3
Revises: d41c7e2a9b18
Create Date: 2026-12-02 14:40:00

"""

from alembic import op
import sqlalchemy as sa


revision = "4b7e2a91c0d3"
down_revision = "d41c7e2a9b18"
branch_labels = None
depends_on = None

OLD = ("held", "confirmed", "arrived", "completed", "no_show", "cancelled", "expired", "released")
NEW = OLD + ("offered",)
BUMP = "UPDATE cache_versions SET version = version + 1 WHERE name = 'schedule'"


def _statuses(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_statuses(values, *, offered_expiry):
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        for column in ("therapist_id", "room_id"):
            op.execute(f"ALTER TABLE bookings DROP CONSTRAINT ex_bookings_{column}_busy")
    with op.batch_alter_table("bookings", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_bookings_status"), type_="check")
        batch_op.create_check_constraint("status", _statuses(values))
        if offered_expiry:
            batch_op.create_check_constraint(
                "offered_has_expiry", "status <> 'offered' OR hold_expires_at IS NOT NULL"
            )
        else:
            batch_op.drop_constraint(batch_op.f("ck_bookings_offered_has_expiry"), type_="check")
    blocking = "'confirmed', 'arrived', 'held'" + (", 'offered'" if offered_expiry else "")
    if postgres:
        for column in ("therapist_id", "room_id"):
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT ex_bookings_{column}_busy "
                f"EXCLUDE USING gist ({column} WITH =, "
                "tstzrange(starts_at, busy_until, '[)') WITH &&) "
                f"WHERE (status IN ({blocking}))"
            )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_bookings_{event.lower()}_schedule_version")
            op.execute(
                f"CREATE TRIGGER tr_bookings_{event.lower()}_schedule_version "
                f"AFTER {event} ON bookings BEGIN {BUMP}; END"
            )


def upgrade():
    _set_statuses(NEW, offered_expiry=True)

    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("day_parts", sa.JSON(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("over_18", sa.Boolean(), nullable=False),
        sa.Column("screen_answers", sa.Text(), nullable=True),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_clearance", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_waitlist_entries_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_entries_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_waitlist_entries_therapist_id_therapists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_entries_public_id")),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index("ix_waitlist_entries_open", ["ended_at", "joined_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_waitlist_entries_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "waitlist_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_tokens_entry_id_waitlist_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_waitlist_tokens_token_hash")),
    )
    with op.batch_alter_table("waitlist_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waitlist_tokens_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "claimed",
                "declined",
                "expired",
                "withdrawn",
                name=op.f("ck_waitlist_offers_state"),
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_waitlist_offers_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["bookings.id"],
            name=op.f("fk_waitlist_offers_reservation_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_offers_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_waitlist_offers_therapist_id_therapists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_offers_public_id")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_waitlist_offers_reservation_id")),
    )
    with op.batch_alter_table("waitlist_offers", schema=None) as batch_op:
        batch_op.create_index("ix_waitlist_offers_entry_state", ["entry_id", "state"], unique=False)
        batch_op.create_index(
            "ix_waitlist_offers_state_expiry", ["state", "expires_at"], unique=False
        )


def downgrade():
    op.drop_table("waitlist_offers")
    op.drop_table("waitlist_tokens")
    op.drop_table("waitlist_entries")
    op.execute("DELETE FROM bookings WHERE status = 'offered'")
    _set_statuses(OLD, offered_expiry=False)
