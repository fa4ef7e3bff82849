"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults). Pure: no Flask."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
# Argon2 would hash a megabyte happily; a form field has no business sending one.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher(type=Type.ID)


def hash_password(password: str) -> str:
    """Return an ``$argon2id$...`` hash of ``password`` with a fresh random salt."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``stored_hash``; False for a damaged hash too."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return whether ``stored_hash`` was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def verify_against_dummy(password: str) -> None:
    """Spend the time one verification costs, for an email that belongs to nobody.

    Without it an unknown address answers measurably faster than a wrong password.
    """
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing costs tens of milliseconds.
    return hash_password(secrets.token_urlsafe(32))
