"""The X-Signature header a shared secret adds, so an endpoint can check who sent a request."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

SIGNATURE_HEADER: Final = "X-Signature"


def sign(secret: str, body: bytes) -> str:
    """The X-Signature value: hex HMAC-SHA1 of the exact body bytes, keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
