"""Follow-ups after completed sessions, their links, and the follow_up outbox kind.

Revision ID: 7f3a9c1e5d20
Revises: 4b7e2a91c0d3
Create Date: 2026-12-02 18:20:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '7f3a9c1e5d20'
down_revision = '4b7e2a91c0d3'
branch_labels = None
depends_on = None

KINDS = ['booked', 'held', 'hold_reminder', 'clearance_confirmed', 'rescheduled', 'cancelled',
         'hold_released', 'hold_expired', 'appointment_reminder', 'test', 'staff_sign_in_alert']
NEW_KINDS = KINDS + ['follow_up']


def _kind_check(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answers', sa.Text(), nullable=True),
    sa.Column('screen_after', sa.Text(), nullable=True),
    sa.Column('review_reasons', sa.Text(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_follow_ups_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_follow_ups_patient_id_patients')),
    sa.ForeignKeyConstraint(['reviewed_by_staff_id'], ['staff_users.id'], name=op.f('fk_follow_ups_reviewed_by_staff_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_follow_ups_booking_id')),
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_follow_ups_review', ['needs_review', 'reviewed_at'], unique=False)
    op.create_table('follow_up_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_tokens_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_follow_up_tokens_token_hash')),
    )
    with op.batch_alter_table('follow_up_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_tokens_follow_up_id'), ['follow_up_id'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint('kind', _kind_check(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'follow_up'")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint('kind', _kind_check(KINDS))
    with op.batch_alter_table('follow_up_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_tokens_follow_up_id'))
    op.drop_table('follow_up_tokens')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_review')
        batch_op.drop_index(batch_op.f('ix_follow_ups_patient_id'))
    op.drop_table('follow_ups')
