"""Password hashing with scrypt from the standard library (memory-hard, salted).

A stored hash reads `scrypt$<n>$<r>$<p>$<salt>$<digest>` (salt and digest in base64), so
the cost can be raised later and old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

#: n=2**15, r=8, p=1 needs 32 MiB and ~0.1 s per hash on this class of machine: cheap for one
#: login, expensive for someone trying millions of guesses against a stolen table.
N: Final = 2**15
R: Final = 8
P: Final = 1
_MAXMEM: Final = 64 * 1024 * 1024
MIN_LENGTH: Final = 10


class WeakPassword(ValueError):
    """The password is too short to be accepted."""


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`; raises WeakPassword below MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, N, R, P)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def random_password() -> str:
    """A password to hand out once (first start, `users create` without one): 20 characters."""
    return secrets.token_urlsafe(15)
