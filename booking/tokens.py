"""Capability tokens (manage links, feeds): random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 24  # 192 bits: well past the 128 that make guessing hopeless


def new_token() -> str:
    """Return a fresh URL-safe token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Return the hex SHA-256 under which ``token`` is stored.

    A plain hash is enough: the token has 192 random bits, so there is nothing to brute
    force, and a leaked database does not reveal working links.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Cheap shape check before touching the database (same answer for every miss)."""
    return 20 <= len(value) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


# ``<token>~<n>``: session n of the course of the booking a manage token opens.
SESSION_SEPARATOR = "~"


def session_token(token: str, session: int) -> str:
    """The manage link's token for session ``session`` of the course ``token`` opens."""
    return f"{token.partition(SESSION_SEPARATOR)[0]}{SESSION_SEPARATOR}{int(session)}"


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
