"""Outbox for confirmation emails, and staff calendar feed tokens.

outbox_messages: one row per email, written in the transaction of the change it reports;
the worker claims due rows by (status, next_attempt_at) with a lease in claimed_until.
message_id is fixed at queue time; dedupe_key (unique, nullable) makes the reminder and
expiry jobs idempotent. booking_id is SET NULL on delete so the delivery history stays.

feed_tokens: revocable subscription URLs for a therapist's calendar (or the whole clinic's
when therapist_id is null); only the token's SHA-256 is stored.

Revision ID: 61830b631576
Revises: 119e7c532333
Create Date: 2026-11-27 15:34:16.720056

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '61830b631576'
down_revision = '119e7c532333'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.id'], name=op.f('fk_feed_tokens_therapist_id_therapists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('booked', 'held', 'hold_reminder', 'clearance_confirmed', 'rescheduled', 'cancelled', 'hold_released', 'hold_expired', 'appointment_reminder', 'test', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', 'dead', 'skipped', name='status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_outbox_messages_booking_id_bookings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next_attempt', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_booking_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_tokens_therapist_id'))

    op.drop_table('feed_tokens')