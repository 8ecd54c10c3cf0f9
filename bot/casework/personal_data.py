"""Personal data shown to staff: masked, except in the audited "details" view.

At rest every personal column is encrypted by its column type (storage/crypto.py), and an
application is found by the keyed digest of the ID number (``Casework.digest``).
"""

from __future__ import annotations


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
