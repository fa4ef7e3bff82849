"""Double booking guard (PostgreSQL exclusion constraints), booking drafts, manage links.

On PostgreSQL the database itself refuses two blocking bookings of one therapist, or of one
room, whose [starts_at, busy_until) ranges overlap. "Blocking" here is confirmed, arrived or
held: a hold whose expiry has passed still has status held until something marks it, so the
booking verbs mark overdue holds expired before they write (see services.holds). SQLite has
no such constraint; there the verbs serialise writers with BEGIN IMMEDIATE and re-check.

Revision ID: 119e7c532333
Revises: 891ee18ceba5
Create Date: 2026-11-27 15:27:19.269167

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '119e7c532333'
down_revision = '891ee18ceba5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_drafts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_drafts'))
    )
    with op.batch_alter_table('booking_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_booking_drafts_updated_at', ['updated_at'], unique=False)

    op.create_table('manage_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_manage_tokens_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manage_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_manage_tokens_token_hash'))
    )
    with op.batch_alter_table('manage_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manage_tokens_booking_id'), ['booking_id'], unique=False)

    if op.get_context().dialect.name == "postgresql":
        # btree_gist lets an integer column take part in a GiST exclusion constraint. It is a
        # trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for column in ("therapist_id", "room_id"):
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT ex_bookings_{column}_busy "
                f"EXCLUDE USING gist ({column} WITH =, "
                "tstzrange(starts_at, busy_until, '[)') WITH &&) "
                "WHERE (status IN ('confirmed', 'arrived', 'held'))"
            )



def downgrade():
    if op.get_context().dialect.name == "postgresql":
        for column in ("therapist_id", "room_id"):
            op.execute(f"ALTER TABLE bookings DROP CONSTRAINT ex_bookings_{column}_busy")
    with op.batch_alter_table('manage_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manage_tokens_booking_id'))

    op.drop_table('manage_tokens')
    with op.batch_alter_table('booking_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_drafts_updated_at')

    op.drop_table('booking_drafts')
