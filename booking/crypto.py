"""Encryption at rest of health data and second-factor secrets (Fernet, from ``cryptography``).

Keys come from the setting ``DATA_ENCRYPTION_KEYS``: a list of Fernet keys, newest first, or
the environment variable ``FLASK_DATA_ENCRYPTION_KEYS`` holding them comma-separated. The
newest key encrypts; every key in the list decrypts. Make a key with::

    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

Debug and testing may run without one: a development key is then derived from
``SECRET_KEY`` (HKDF-SHA256) and a warning is logged. Anywhere else ``create_app`` refuses to
start without a real key.

Key rotation, without downtime:

1. Make a new key and put it FIRST in the list, keeping the old one after it
   (``FLASK_DATA_ENCRYPTION_KEYS=new,old``); deploy. New writes use the new key; old rows
   still read with the old one.
2. Run ``flask booking rotate-data-key`` (``booking.services.key_rotation``): every
   encrypted column is re-encrypted with the new key (idempotent; safe to run again after
   an interruption).
3. Remove the old key from the list; deploy. Destroy the old key.

Encrypted columns are opaque to the database: no query may filter, sort or join on them
(the same plaintext never encrypts to the same bytes twice). Reading them happens only in
Python, after loading the row.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from werkzeug.exceptions import ServiceUnavailable

from booking.config import ConfigurationError

log = logging.getLogger(__name__)

EXTENSION_KEY = "data_cipher"
_DEVELOPMENT_KEY_INFO = b"backcare-booking development data-encryption key v1"


class DataKeyError(RuntimeError):
    """Stored data cannot be decrypted with the configured keys (a wrong or missing key).

    The message names the problem, never the data or a key.
    """


class DataCipher:
    """Encrypts with the newest key, decrypts with any configured key."""

    def __init__(self, keys: Sequence[bytes | str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, AttributeError):
            raise DataKeyError(
                "Stored health data cannot be decrypted with the configured "
                "DATA_ENCRYPTION_KEYS: the key that encrypted it is missing from the list."
            ) from None

    def rotate(self, token: str) -> str:
        """Return ``token`` re-encrypted with the newest key (its timestamp is kept)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise DataKeyError(
                "A stored value cannot be decrypted with any configured key; rotation stopped "
                "before changing it. Put the key that encrypted it back in the list."
            ) from None


def parse_keys(value: Any) -> list[str]:
    """Return the configured keys as a list: a list as given, or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if str(part).strip()]
    raise TypeError("DATA_ENCRYPTION_KEYS must be a list of keys or a comma-separated string")


def development_key(secret_key: str | bytes) -> bytes:
    """Derive a Fernet key from ``secret_key`` (debug and testing only)."""
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_DEVELOPMENT_KEY_INFO
    ).derive(material)
    return base64.urlsafe_b64encode(derived)


def init_app(app: Flask) -> None:
    """Build the application's cipher from its settings; register the decryption error page.

    Raises ``ConfigurationError`` when no key is configured outside debug and
    testing, or when a configured key is not a valid Fernet key.
    """
    keys = parse_keys(app.config.get("DATA_ENCRYPTION_KEYS"))
    if not keys:
        if not (app.debug or app.testing):
            raise ConfigurationError(
                "Refusing to start: no DATA_ENCRYPTION_KEYS. Health data is encrypted at rest; "
                "set FLASK_DATA_ENCRYPTION_KEYS to a Fernet key, e.g. "
                'python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())".'
            )
        log.warning(
            "DATA_ENCRYPTION_KEYS is not set: using a development key derived from SECRET_KEY. "
            "Never use this outside development and tests."
        )
        keys = [development_key(app.config["SECRET_KEY"]).decode("ascii")]
    try:
        cipher = DataCipher(keys)
    except (ValueError, TypeError):
        raise ConfigurationError(
            "Refusing to start: a DATA_ENCRYPTION_KEYS entry is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None
    app.extensions[EXTENSION_KEY] = cipher
    app.register_error_handler(DataKeyError, _undecryptable)


def cipher() -> DataCipher:
    """Return the current application's cipher."""
    return current_app.extensions[EXTENSION_KEY]


def _undecryptable(error: DataKeyError):
    # A misconfigured key is an operator's problem: say so plainly, show no data, log it.
    # Answered as a 503 through the application's own error pages (HTML or the API's JSON).
    log.error("data decryption failed: %s", error)
    return current_app.handle_user_exception(
        ServiceUnavailable(
            "Some records cannot be read right now because of a configuration problem on "
            "our side. Nothing was changed. Please try again later."
        )
    )
