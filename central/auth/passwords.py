"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY = _hasher.hash("frontdesk-no-such-user")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password (what a password must be: policy.py, checked before)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if `password` matches the stored hash; False for a broken hash, or for none
    (None: checked against a dummy hash, so it takes as long)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
