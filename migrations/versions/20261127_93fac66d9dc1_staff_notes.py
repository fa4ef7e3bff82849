"""Staff notes: internal notes reception and therapists leave on a booking.

Append-only; a note goes with its booking, and keeps its text when its author's account
is removed.

Revision ID: 93fac66d9dc1
Revises: 1cfc9b714231
Create Date: 2026-11-27 15:59:46.131031

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93fac66d9dc1'
down_revision = '1cfc9b714231'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_staff_notes_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_notes_staff_user_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notes'))
    )
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.create_index('ix_staff_notes_booking_created', ['booking_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_notes_booking_created')

    op.drop_table('staff_notes')
