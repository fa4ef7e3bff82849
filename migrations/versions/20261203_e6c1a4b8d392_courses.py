"""Courses of treatment: a courses table, bookings' course and session, a service's course size.

A course groups the bookings of its sessions (bookings.course_id, bookings.course_session);
services.course_sessions says how many sessions a course of that treatment has (NULL or 0:
none offered). The back-pain treatments of an existing clinic get 6.

SQLite recreates the bookings table to add the foreign key, which drops the
availability-cache triggers on it: they are recreated here.

Revision ID: e6c1a4b8d392
Revises: b5d2e8c41f07
Create Date: 2026-12-03 13:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e6c1a4b8d392"
down_revision = "b5d2e8c41f07"
branch_labels = None
depends_on = None

BUMP = "UPDATE cache_versions SET version = version + 1 WHERE name = 'schedule'"
# The demo clinic's treatments for back pain, sold as courses of six.
COURSE_SLUGS = ("therapeutic-back-massage", "myofascial-release", "trigger-point-therapy")


def _sqlite_triggers():
    if op.get_context().dialect.name != "sqlite":
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS tr_bookings_{event.lower()}_schedule_version")
        op.execute(
            f"CREATE TRIGGER tr_bookings_{event.lower()}_schedule_version "
            f"AFTER {event} ON bookings BEGIN {BUMP}; END"
        )


def upgrade():
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "online",
                "reception",
                name=op.f("ck_courses_source"),
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("form_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sessions > 0", name=op.f("ck_courses_sessions_positive")),
        sa.CheckConstraint(
            "every_weeks BETWEEN 1 AND 4", name=op.f("ck_courses_every_weeks_range")
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_courses_duration_positive")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_courses_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_courses_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("form_key", name=op.f("uq_courses_form_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_courses_public_id")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_patient_id"), ["patient_id"], unique=False)

    with op.batch_alter_table("bookings", schema=None, recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("course_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("course_session", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_course_id_courses"), "courses", ["course_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_bookings_course_id"), ["course_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_bookings_course_session", ["course_id", "course_session"]
        )
        batch_op.create_check_constraint(
            "course_session_with_course", "(course_id IS NULL) = (course_session IS NULL)"
        )
    _sqlite_triggers()

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("course_sessions", sa.Integer(), nullable=True))
    with op.batch_alter_table("services", schema=None, recreate="auto") as batch_op:
        batch_op.create_check_constraint(
            "course_sessions_range",
            "course_sessions IS NULL OR course_sessions BETWEEN 0 AND 12",
        )
    if op.get_context().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_services_{event.lower()}_schedule_version")
            op.execute(
                f"CREATE TRIGGER tr_services_{event.lower()}_schedule_version "
                f"AFTER {event} ON services BEGIN {BUMP}; END"
            )
    slugs = ", ".join(f"'{s}'" for s in COURSE_SLUGS)
    op.execute(f"UPDATE services SET course_sessions = 6 WHERE slug IN ({slugs})")


def downgrade():
    if op.get_context().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_services_{event.lower()}_schedule_version")
    with op.batch_alter_table("services", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_services_course_sessions_range"), type_="check")
        batch_op.drop_column("course_sessions")
    if op.get_context().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER tr_services_{event.lower()}_schedule_version "
                f"AFTER {event} ON services BEGIN {BUMP}; END"
            )
    with op.batch_alter_table("bookings", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_bookings_course_session_with_course"), type_="check")
        batch_op.drop_constraint("uq_bookings_course_session", type_="unique")
        batch_op.drop_index(batch_op.f("ix_bookings_course_id"))
        batch_op.drop_constraint(batch_op.f("fk_bookings_course_id_courses"), type_="foreignkey")
        batch_op.drop_column("course_session")
        batch_op.drop_column("course_id")
    _sqlite_triggers()
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_patient_id"))
    op.drop_table("courses")
