"""Availability cache version: triggers count every change that can alter availability.

The picker and the availability API cache computed slots per process, tagged with this
version. Triggers on every table that shapes availability raise it in the same
transaction as the change, so no code path can forget to, and a reader that sees the new
version also sees the committed change. On PostgreSQL one statement-level trigger per
table (TRUNCATE included); SQLite has only row-level triggers, one per event.

A later migration that makes SQLite recreate one of these tables (batch "move and copy")
drops its triggers: recreate them there. tests/services/test_availability_cache.py fails
if any is missing.

Revision ID: c9cbfe1d17ed
Revises: 5e3c1d9a7b24
Create Date: 2026-11-27 16:04:25.883590

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9cbfe1d17ed'
down_revision = '5e3c1d9a7b24'
branch_labels = None
depends_on = None

# Kept here, not imported: a migration must not change when application code does.
TABLES = (
    "bookings",
    "working_hours",
    "time_off",
    "closures",
    "therapists",
    "therapist_services",
    "services",
    "service_durations",
    "rooms",
)
BUMP = "UPDATE cache_versions SET version = version + 1 WHERE name = 'schedule'"


def upgrade():
    op.create_table('cache_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )
    op.execute("INSERT INTO cache_versions (name, version) VALUES ('schedule', 1)")
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_schedule_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER tr_{table}_schedule_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_version()"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER tr_{table}_{event.lower()}_schedule_version "
                    f"AFTER {event} ON {table} BEGIN {BUMP}; END"
                )


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_schedule_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_schedule_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_{event}_schedule_version")
    op.drop_table('cache_versions')
