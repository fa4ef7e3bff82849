"""Sign-in throttles per (account, source address), and the staff sign-in alert email.

Refused staff sign-ins slow down the address they come from instead of locking the account
for everyone; a burst of them emails the staff member (a new outbox kind).

Revision ID: 4d1e7a9c2b60
Revises: d4e7a1c0b2f5
Create Date: 2026-12-02 14:20:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '4d1e7a9c2b60'
down_revision = 'd4e7a1c0b2f5'
branch_labels = None
depends_on = None

KINDS = ['booked', 'held', 'hold_reminder', 'clearance_confirmed', 'rescheduled', 'cancelled',
         'hold_released', 'hold_expired', 'appointment_reminder', 'test']
NEW_KINDS = KINDS + ['staff_sign_in_alert']


def _kind_check(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=254), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('account_key', 'source', name=op.f('uq_sign_in_throttles_account_key')),
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_account_key'), ['account_key'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint('kind', _kind_check(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'staff_sign_in_alert'")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint('kind', _kind_check(KINDS))
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_account_key'))
    op.drop_table('sign_in_throttles')
