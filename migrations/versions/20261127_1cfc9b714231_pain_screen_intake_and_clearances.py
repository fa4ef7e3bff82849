"""Pain screen answers (intakes), medical clearances, anonymous outcome counts.

Also bookings.confirmed_at, backfilled for bookings that were confirmed at some point, so
the retention purge can tell which answers belong to bookings never confirmed.

Revision ID: 1cfc9b714231
Revises: 61830b631576
Create Date: 2026-11-27 15:49:09.206708

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1cfc9b714231'
down_revision = '61830b631576'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('screen_outcome_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screen_outcome_counts')),
    sa.UniqueConstraint('day', 'outcome', name='uq_screen_outcome_counts_day_outcome')
    )
    op.create_table('clearances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('patient', 'phone', 'letter', 'email', name=op.f('ck_clearances_source'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('clinician_name', sa.String(length=100), nullable=False),
    sa.Column('clinician_kind', sa.Enum('gp', 'consultant', 'physiotherapist', 'other', name=op.f('ck_clearances_clinician_kind'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('consultation_date', sa.Date(), nullable=True),
    sa.Column('outcome', sa.Enum('cleared', 'cleared_with_restrictions', 'not_cleared', name=op.f('ck_clearances_outcome'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('restriction_ticks', sa.JSON(), nullable=False),
    sa.Column('restrictions', sa.Text(), nullable=False),
    sa.Column('wording_version', sa.String(length=16), nullable=False),
    sa.Column('attested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attested_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_reason', sa.String(length=500), nullable=False),
    sa.Column('approval', sa.Enum('not_needed', 'pending', 'approved', 'refused', name=op.f('ck_clearances_approval'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('approved_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('screen_answers', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_staff_id'], ['staff_users.id'], name=op.f('fk_clearances_approved_by_staff_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['attested_by_staff_id'], ['staff_users.id'], name=op.f('fk_clearances_attested_by_staff_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_clearances_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_clearances_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearances'))
    )
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.create_index('ix_clearances_patient_valid', ['patient_id', 'valid_until'], unique=False)

    op.create_table('intakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rule_codes', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('no_deep_pressure', sa.Boolean(), nullable=False),
    sa.Column('consent_version', sa.String(length=16), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('covered_by_clearance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_intakes_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['covered_by_clearance_id'], ['clearances.id'], name=op.f('fk_intakes_covered_by_clearance_id_clearances'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intakes')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_intakes_booking_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE bookings SET confirmed_at = created_at "
        "WHERE status IN ('confirmed', 'arrived', 'completed', 'no_show')"
    )



def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')

    op.drop_table('intakes')
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_index('ix_clearances_patient_valid')

    op.drop_table('clearances')
    op.drop_table('screen_outcome_counts')
