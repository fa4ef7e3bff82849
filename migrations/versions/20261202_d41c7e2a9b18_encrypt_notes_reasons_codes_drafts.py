"""Encrypt the remaining fields that can carry health information.

Intake rule codes and flags, the patient's note on a booking, staff notes, a clearance's
staff reason, audit details (a staff reason can name a condition) and unfinished booking
drafts (contact details and screen answers) become Fernet tokens in TEXT columns
(booking.crypto). Existing rows are encrypted in place, so run this with the key the
application will use. The downgrade decrypts them back.

Revision ID: d41c7e2a9b18
Revises: 5e1f0c2a7d3b
Create Date: 2026-12-02 14:30:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41c7e2a9b18'
down_revision = '5e1f0c2a7d3b'
branch_labels = None
depends_on = None

# (table, column, holds JSON, the type before) for every column this revision encrypts.
ENCRYPTED = (
    ('intakes', 'rule_codes', True, sa.JSON()),
    ('intakes', 'flags', True, sa.JSON()),
    ('bookings', 'patient_note', False, None),
    ('staff_notes', 'body', False, None),
    ('clearances', 'staff_reason', False, sa.String(length=500)),
    ('audit_events', 'details', True, sa.JSON()),
    ('booking_drafts', 'data', True, sa.JSON()),
)


def _cipher():
    # The application's cipher: the data must be encrypted with exactly the key the running
    # application will decrypt it with.
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
    decoded = json.loads(value) if isinstance(value, str) else value
    return json.dumps(decoded, separators=(',', ':'))


def _already_encrypted(cipher, value):
    # Rows the new code wrote before this migration ran are tokens already: encrypting them
    # twice would lose them.
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
    return op.get_bind().execute(sa.text(
        'SELECT id, covered_by_clearance_id FROM intakes WHERE covered_by_clearance_id IS NOT NULL'
    )).all()


def _restore_links(links):
    update = sa.text('UPDATE intakes SET covered_by_clearance_id = :clearance WHERE id = :id')
    for intake_id, clearance_id in links:
        op.get_bind().execute(update, {'id': intake_id, 'clearance': clearance_id})


def _retype(to_text):
    links = _links_to_clearances()
    for table, column, _is_json, before in ENCRYPTED:
        if before is None:
            continue  # already TEXT: only the values change
        old, new = (before, sa.Text()) if to_text else (sa.Text(), before)
        cast = 'text' if to_text else ('json' if isinstance(before, sa.JSON) else None)
        extra = {'postgresql_using': f'{column}::{cast}'} if cast else {}
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=old, type_=new, existing_nullable=False, **extra
            )
    _restore_links(links)


def upgrade():
    _retype(to_text=True)
    cipher = _cipher()
    for table, column, is_json, _before in ENCRYPTED:

        def encrypt(value, is_json=is_json):
            if _already_encrypted(cipher, value):
                return value
            return cipher.encrypt(_plain_json_text(value) if is_json else value)

        _rewrite(table, column, encrypt)


def downgrade():
    cipher = _cipher()
    for table, column, _is_json, _before in ENCRYPTED:
        _rewrite(table, column, cipher.decrypt)
    _retype(to_text=False)
