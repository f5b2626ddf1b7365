"""Encryption of destination settings at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is derived from SWITCHBOARD_SECRET_KEY, so the database alone never reveals a
destination's API keys or passwords.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken


class SecretKeyMissing(RuntimeError):
    """Destination settings need SWITCHBOARD_SECRET_KEY to be set."""


class SettingsBox:
    """Seals and opens settings documents with a key derived from the server's secret."""

    def __init__(self, secret_key: str | None) -> None:
        self._fernet: Fernet | None = None
        if secret_key:
            digest = hashlib.sha256(b"switchboard/destination-settings/" + secret_key.encode())
            self._fernet = Fernet(base64.urlsafe_b64encode(digest.digest()))

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise SecretKeyMissing(
                "set SWITCHBOARD_SECRET_KEY: destination settings are encrypted with it"
            )
        return self._fernet

    def seal(self, settings: dict[str, Any]) -> str:
        return self._require().encrypt(orjson.dumps(settings)).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            document: dict[str, Any] = orjson.loads(self._require().decrypt(sealed.encode()))
        except InvalidToken:
            raise SecretKeyMissing(
                "destination settings cannot be decrypted: SWITCHBOARD_SECRET_KEY changed?"
            ) from None
        return document
