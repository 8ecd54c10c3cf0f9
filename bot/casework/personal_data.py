"""Personal data at rest: encrypted (Fernet), found by keyed digest, shown masked.

Resident ID numbers and phone numbers are encrypted with MultiFernet so keys can rotate (the
first key encrypts, every key decrypts). Duplicate applications are found by an HMAC of the ID
number, so nobody has to decrypt a table to compare. Staff views show masked values; only the
audited "details" view decrypts.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet


class PersonalDataVault:
    def __init__(self, keys: str) -> None:
        parts = [key.strip() for key in keys.split(",") if key.strip()]
        if not parts:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in parts])
        # A separate key for digests, derived from the current encryption key.
        self._digest_key = hashlib.sha256(b"yimen-digest:" + parts[0].encode()).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def digest(self, value: str) -> str:
        return hmac.new(self._digest_key, value.upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """360426199101010071 -> 360************071 (region kept for routing, birth date hidden)."""
    return value[:3] + "*" * (len(value) - 6) + value[-3:] if len(value) > 6 else "***"


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678."""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


def mask_name(value: str) -> str:
    """张三丰 -> 张** ; Wang Fang -> W*** F***."""
    if not value:
        return ""
    if value.isascii():
        return " ".join(part[:1] + "***" for part in value.split())
    return value[0] + "*" * (len(value) - 1)
