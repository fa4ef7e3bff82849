"""Where to send someone after signing in: only a path on this site, never elsewhere."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2000


def is_safe_next(target: str | None) -> bool:
    """Return whether ``target`` is a relative path on this site.

    Refused: anything with a scheme or host (``https://evil.example``, ``javascript:``),
    protocol-relative forms (``//evil.example``, ``/\\evil.example``), backslashes,
    control characters, raw whitespace and non-ASCII, and the same tricks percent-encoded
    (``/%2F%2Fevil.example``), because some browsers and proxies decode before they follow.
    Encoded ordinary characters (``%20``, ``%C3%BC``) are fine.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return False
    decoded = target
    for _ in range(3):  # decode until stable: %252F -> %2F -> /
        decoded = unquote(decoded)
    if unquote(decoded) != decoded:
        return False  # encoded more deeply than any honest link
    if not all(0x21 <= ord(ch) <= 0x7E for ch in target):
        return False  # spaces, controls (browsers drop tab, CR, LF), DEL, raw non-ASCII
    for form in (target, decoded):
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in form):
            return False
        if "\\" in form:
            return False
        if not form.startswith("/") or form.startswith("//"):
            return False
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None, fallback: str) -> str:
    """Return ``target`` if :func:`is_safe_next` accepts it, else ``fallback``."""
    return target if target is not None and is_safe_next(target) else fallback
