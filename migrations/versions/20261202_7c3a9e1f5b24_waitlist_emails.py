"""Waitlist emails: the joining confirmation and the offer, two new outbox kinds.

Neither is about a booking (nothing is booked yet), so their rows carry no booking id; the
entry's link is minted when the message is sent, like a manage link.

Revision ID: 7c3a9e1f5b24
Revises: 7c3a9e51d2f4
Create Date: 2026-12-02 18:10:00

"""

from alembic import op


revision = "7c3a9e1f5b24"
down_revision = "7c3a9e51d2f4"
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
]
NEW_KINDS = KINDS + ["waitlist_joined", "waitlist_offer"]


def _kind_check(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_kind"), type_="check")
        batch_op.create_check_constraint("kind", _kind_check(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind IN ('waitlist_joined', 'waitlist_offer')")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_kind"), type_="check")
        batch_op.create_check_constraint("kind", _kind_check(KINDS))
