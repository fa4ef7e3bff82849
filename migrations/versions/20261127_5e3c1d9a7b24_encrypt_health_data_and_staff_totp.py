"""Encrypt health data at rest; staff second factor (TOTP).

Intake answers and a clearance's clinician name, restrictions, restriction ticks and screen
answers become Fernet tokens in TEXT columns (booking.crypto, key from DATA_ENCRYPTION_KEYS
or, in debug/testing, the development key derived from SECRET_KEY). Existing rows are
encrypted in place here, so run this with the key the application will use. The downgrade
decrypts them back into JSON / VARCHAR columns.

staff_users gains totp_secret (encrypted) and totp_last_step (the last time step a code was
accepted for: codes work once).

Revision ID: 5e3c1d9a7b24
Revises: ae75bf47e593
Create Date: 2026-11-27 17:30:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e3c1d9a7b24'
down_revision = 'ae75bf47e593'
branch_labels = None
depends_on = None

# (table, column, holds JSON, nullable) for every column this revision encrypts.
ENCRYPTED = (
    ('intakes', 'answers', True, True),
    ('clearances', 'clinician_name', False, False),
    ('clearances', 'restrictions', False, False),
    ('clearances', 'restriction_ticks', True, False),
    ('clearances', 'screen_answers', True, True),
)


def _cipher():
    # The application's cipher (built by create_app from its settings): the data must be
    # encrypted with exactly the key the running application will decrypt it with.
    from booking import crypto

    return crypto.cipher()


def _rewrite(table, column, convert):
    """Replace every non-NULL value of ``table.column`` with ``convert(value)``."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f'SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL')
    ).all()
    update = sa.text(f'UPDATE {table} SET {column} = :value WHERE id = :id')
    for row_id, value in rows:
        bind.execute(update, {'id': row_id, 'value': convert(value)})


def _plain_json_text(value):
    # What a JSON column hands back as text: SQL NULL and the JSON null both mean "none".
    if value is None:
        return None
    decoded = json.loads(value) if isinstance(value, str) else value
    if decoded is None:
        return None
    return json.dumps(decoded, separators=(',', ':'))


def _already_encrypted(cipher, value):
    # Rows the new code wrote before this migration ran (SQLite accepts any text in a JSON
    # column) are tokens already: encrypting them twice would lose them.
    if not isinstance(value, str) or not value.startswith('gAAAAA'):
        return False
    try:
        cipher.decrypt(value)
    except Exception:
        return False
    return True


def _links_to_clearances():
    # SQLite rebuilds a table to change a column's type, and with foreign keys on, dropping
    # the old clearances table fires ON DELETE SET NULL on intakes.covered_by_clearance_id.
    # Read the links before the rebuild and put them back after it.
    return op.get_bind().execute(sa.text(
        'SELECT id, covered_by_clearance_id FROM intakes WHERE covered_by_clearance_id IS NOT NULL'
    )).all()


def _restore_links(links):
    update = sa.text('UPDATE intakes SET covered_by_clearance_id = :clearance WHERE id = :id')
    for intake_id, clearance_id in links:
        op.get_bind().execute(update, {'id': intake_id, 'clearance': clearance_id})


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.alter_column(
            'answers', existing_type=sa.JSON(), type_=sa.Text(),
            existing_nullable=True, postgresql_using='answers::text',
        )
    links = _links_to_clearances()
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.alter_column(
            'clinician_name', existing_type=sa.String(length=100), type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            'restriction_ticks', existing_type=sa.JSON(), type_=sa.Text(),
            existing_nullable=False, postgresql_using='restriction_ticks::text',
        )
        batch_op.alter_column(
            'screen_answers', existing_type=sa.JSON(), type_=sa.Text(),
            existing_nullable=True, postgresql_using='screen_answers::text',
        )
    _restore_links(links)

    cipher = _cipher()
    for table, column, is_json, nullable in ENCRYPTED:
        if is_json and nullable:
            # A JSON null becomes SQL NULL, so "no answers" stays testable with IS NULL.
            op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} = 'null'")

        def encrypt(value, is_json=is_json):
            if _already_encrypted(cipher, value):
                return value
            return cipher.encrypt(_plain_json_text(value) if is_json else value)

        _rewrite(table, column, encrypt)


def downgrade():
    cipher = _cipher()
    for table, column, _is_json, _nullable in ENCRYPTED:
        _rewrite(table, column, cipher.decrypt)

    links = _links_to_clearances()
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.alter_column(
            'screen_answers', existing_type=sa.Text(), type_=sa.JSON(),
            existing_nullable=True, postgresql_using='screen_answers::json',
        )
        batch_op.alter_column(
            'restriction_ticks', existing_type=sa.Text(), type_=sa.JSON(),
            existing_nullable=False, postgresql_using='restriction_ticks::json',
        )
        batch_op.alter_column(
            'clinician_name', existing_type=sa.Text(), type_=sa.String(length=100),
            existing_nullable=False,
        )
    _restore_links(links)
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.alter_column(
            'answers', existing_type=sa.Text(), type_=sa.JSON(),
            existing_nullable=True, postgresql_using='answers::json',
        )

    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: dropping staff_users to rebuild
    # it would null every reference to a staff member (audit trail, clearances).
    op.execute('ALTER TABLE staff_users DROP COLUMN totp_last_step')
    op.execute('ALTER TABLE staff_users DROP COLUMN totp_secret')
