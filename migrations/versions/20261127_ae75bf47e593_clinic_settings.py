"""Clinic settings: policy values edited in the admin pages.

One row per editable setting (BOOKING_MIN_NOTICE_MINUTES, HOLD_*, emergency numbers, ...);
a missing row means the configured default. Every process overlays these rows onto its
config (booking.services.clinic_settings), so all web workers and the mail worker agree.

Revision ID: ae75bf47e593
Revises: 93fac66d9dc1
Create Date: 2026-11-27 16:00:53.215615

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ae75bf47e593'
down_revision = '93fac66d9dc1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clinic_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_staff_id'], ['staff_users.id'], name=op.f('fk_clinic_settings_updated_by_staff_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_settings')),
    sa.UniqueConstraint('key', name=op.f('uq_clinic_settings_key'))
    )


def downgrade():
    op.drop_table('clinic_settings')
