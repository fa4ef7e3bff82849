"""The outbox kind "course_booked": one email for a booked course, every session's invitation.

Revision ID: f2a7c9d15e63
Revises: e1a5c3d7b9f2
Create Date: 2026-12-03 14:00:00

"""

from alembic import op

revision = "f2a7c9d15e63"
down_revision = "e1a5c3d7b9f2"
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
    "clinician_request",
]


def _replace_kinds(values):
    checked = "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_kind"), type_="check")
        batch_op.create_check_constraint("kind", checked)


def upgrade():
    _replace_kinds(KINDS + ["course_booked"])


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'course_booked'")
    _replace_kinds(KINDS)
