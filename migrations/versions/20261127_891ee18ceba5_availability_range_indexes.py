"""Availability range indexes: time off and closures by end time.

Availability reads "what ends after the window starts", so these scans cover the future,
never the whole history.

Revision ID: 891ee18ceba5
Revises: a9ad249b6465
Create Date: 2026-11-27 15:25:49.452855

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '891ee18ceba5'
down_revision = 'a9ad249b6465'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index('ix_closures_ends_at', ['ends_at'], unique=False)

    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.create_index('ix_time_off_ends_at', ['ends_at'], unique=False)



def downgrade():
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.drop_index('ix_time_off_ends_at')

    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index('ix_closures_ends_at')

