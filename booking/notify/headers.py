"""Mail headers written by the app itself, byte for byte, never re-parsed on the way out.

Why not hand the values to ``email.headerregistry``: assigning a string (or an ``Address``)
to an ``EmailMessage`` parses it, and parsing decodes RFC 2047 encoded words. On Python
3.11.7 (no CVE-2024-6923 fix) the folder then writes a decoded line break into the header
block as it is, so ``=?UTF-8?Q?Eve=0ABcc:_x@evil.example?=`` in a name becomes a real
``Bcc:`` line. Here a display name or a subject is either plain printable ASCII (quoted when
it is a display name) or encoded by us as UTF-8 encoded words, and the header object folds
to exactly that text: whatever the Python version, the bytes are the ones built below.
"""

from __future__ import annotations

import re
from email.header import Header

from booking.ics import clean_line

# Header lines are kept under 78 characters where the text allows (RFC 5322 2.1.1).
_MAX_LINE = 78
# A bare addr-spec: printable ASCII, no spaces, nothing that ends or extends an address.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PLAIN = re.compile(r"[ -~]*")  # printable ASCII and the space


class HeaderValueError(ValueError):
    """The value cannot be written into a header safely."""


class PrebuiltHeader(str):
    """A header value already in its final, ASCII, folded form.

    The email package keeps an object with a matching ``name`` as it is and asks it to fold
    itself, so nothing parses (or decodes) the value again.
    """

    name: str

    def __new__(cls, name: str, value: str) -> PrebuiltHeader:
        # Only the folds made below (CRLF and a space) may break a line.
        if not _PLAIN.fullmatch(value.replace("\r\n ", " ")):
            raise HeaderValueError(f"{name}: not a prebuilt header value: {value!r}")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}".replace("\r\n", policy.linesep) + policy.linesep


def _encoded(text: str, header_name: str, charset: str = "utf-8") -> str:
    # Header() (the compat32 API) never decodes what it is given: it only encodes (UTF-8:
    # encoded words of at most 75 characters, split on character boundaries) and folds.
    return Header(text, charset, header_name=header_name, maxlinelen=_MAX_LINE).encode(
        linesep="\r\n"
    )


def _needs_encoding(text: str) -> bool:
    return not _PLAIN.fullmatch(text) or "=?" in text


def addr_spec(address: str) -> str:
    """Return ``address`` as an ASCII addr-spec (IDNA domain) or raise HeaderValueError."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or ".." in local:
        raise HeaderValueError(f"not a plain email address: {address!r}")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise HeaderValueError(f"not a usable email domain: {address!r}") from None
    if not _DOMAIN.fullmatch(domain):
        raise HeaderValueError(f"not a usable email domain: {address!r}")
    return f"{local}@{domain}"


def mailbox(header_name: str, display_name: str, address: str) -> PrebuiltHeader:
    """Return ``"Display Name" <addr>`` for ``header_name``: one mailbox, nothing more."""
    spec = addr_spec(address)
    name = clean_line(display_name)
    if not name:
        return PrebuiltHeader(header_name, spec)
    if _needs_encoding(name):
        phrase = _encoded(name, header_name)
    else:
        phrase = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return PrebuiltHeader(header_name, f"{phrase} <{spec}>")


def unstructured(header_name: str, text: str) -> PrebuiltHeader:
    """Return ``text`` (a subject) as one header value, encoded when it is not plain ASCII."""
    line = clean_line(text)
    charset = "utf-8" if _needs_encoding(line) else "us-ascii"
    return PrebuiltHeader(header_name, _encoded(line, header_name, charset))
