"""The availability cache version is raised at commit, not at the change (PostgreSQL).

Every table that shapes availability raised ``cache_versions`` with a statement trigger, so
the one version row stayed locked from a booking's INSERT until its commit: every booking
transaction in the clinic waited for the one before it to finish all its remaining work
(intake, token, outbox, audit) and commit. Deferred constraint triggers raise it when the
transaction commits instead, once per transaction (a transaction-local flag), so the row is
locked only for the commit itself. A reader still never sees the new version without the
change: both become visible at the same commit. TRUNCATE keeps a statement trigger
(constraint triggers cannot fire on it). SQLite is unchanged: its one writer lock already
serialises writers.

Revision ID: e1a5c3d7b9f2
Revises: e6c1a4b8d392
Create Date: 2026-12-03 13:40:00

"""
from alembic import op


revision = 'e1a5c3d7b9f2'
down_revision = 'e6c1a4b8d392'
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
FLAG = "booking.schedule_version_raised"
EACH = "booking.schedule_version_each_change"


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    # EACH lets a transaction that never commits (the test suite's, whose commits release
    # savepoints) raise the version at every change, with SET CONSTRAINTS ALL IMMEDIATE.
    op.execute(
        "CREATE FUNCTION bump_schedule_version_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF current_setting('{EACH}', true) = 'on' "
        f"OR current_setting('{FLAG}', true) IS DISTINCT FROM 'yes' THEN {BUMP}; "
        f"PERFORM set_config('{FLAG}', 'yes', true); END IF; RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_schedule_version ON {table}")
        op.execute(
            f"CREATE CONSTRAINT TRIGGER tr_{table}_schedule_version "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION bump_schedule_version_once()"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_truncate_schedule_version AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_version()"
        )


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_truncate_schedule_version ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_schedule_version ON {table}")
        op.execute(
            f"CREATE TRIGGER tr_{table}_schedule_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_version()"
        )
    op.execute("DROP FUNCTION IF EXISTS bump_schedule_version_once()")
