"""Text hygiene for calendar fields: every text that comes in is cleaned here first.

Line breaks of every kind, tabs and control characters are what could add lines or
properties to a calendar, so no user text reaches a field without passing through
:func:`clean_line` (one line) or :func:`clean_text` (a multi-line DESCRIPTION).
"""

from __future__ import annotations

import re
import unicodedata

# Characters that end a line somewhere: CR, LF, VT, FF, NEL and the Unicode line and
# paragraph separators. Some readers (and JavaScript-based ones in particular) treat U+2028
# and U+2029 as line breaks, so they are handled exactly like CR and LF.
_LINE_BREAKS = re.compile("\r\n|[\r\n\v\f\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]+")


def _drop_controls(text: str) -> str:
    """Remove control characters (Cc), lone surrogates (Cs) and stray byte-order marks.

    Line breaks and tabs must already have been replaced by the caller. Format characters
    (Cf) other than U+FEFF are kept on purpose: the zero-width joiner holds emoji sequences
    together and the directional marks are needed by right-to-left names.
    """
    return "".join(
        ch for ch in text if ch != "\ufeff" and unicodedata.category(ch) not in ("Cc", "Cs")
    )


def clean_line(text: str) -> str:
    """Return ``text`` as one clean line: what every single-line calendar field receives.

    Every kind of line break (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029) and every tab
    becomes a space, other control characters are removed, runs of spaces collapse to one and
    the ends are trimmed. A lone carriage return becomes a space rather than vanishing so the
    words either side of it stay apart.
    """
    text = _LINE_BREAKS.sub(" ", text)
    text = _drop_controls(text.replace("\t", " "))
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Return ``text`` cleaned for a multi-line field (DESCRIPTION).

    Every kind of line break becomes a single ``\\n`` (which icalendar writes as the escape
    ``\\n``, so it never ends a physical line); every other control character is removed and
    each line is cleaned like :func:`clean_line`. Empty lines at the ends are dropped.
    """
    lines = [clean_line(line) for line in _LINE_BREAKS.split(text)]
    return "\n".join(lines).strip("\n")


def clean_address(text: str) -> str:
    """Flatten a possibly multi-line postal address into one line joined by ``", "``.

    LOCATION is shown on one line by every client, so "12 High St\\nLondon" reads better as
    "12 High St, London" there and in the description.
    """
    parts = [clean_line(part) for part in _LINE_BREAKS.split(text)]
    return ", ".join(part for part in parts if part)


def clean_param(text: str) -> str:
    """Clean a property parameter value (the ``CN`` of ORGANIZER and ATTENDEE).

    Parameter values cannot hold a double quote; icalendar would caret-encode it (RFC 6868,
    ``^'``) and double a caret (``^^``), but many readers (vobject among them) do not decode
    that and would show the carets. A display name loses nothing if ``"`` becomes ``'`` and
    carets are dropped, so the value needs no caret encoding at all.
    """
    return clean_line(text).replace('"', "'").replace("^", "")
