"""Small readers of parsed YAML that name the place of a problem (a ProfileError's `where`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from bot.policy.base import ProfileError

_ID: Final = re.compile(r"[a-z][a-z0-9_]*\Z")


def mapping(
    raw: object, where: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, object]:
    """`raw` as a mapping with every `required` key; with keys named, no key beyond them."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a mapping")
    missing = [key for key in required if key not in raw]
    if missing:
        raise ProfileError(f"{where}: missing {', '.join(missing)}")
    if required or optional:
        only(raw, (*required, *optional), where)
    return {str(k): v for k, v in raw.items()}


def only(keys: Iterable[object], allowed: Iterable[str], where: str) -> None:
    """No key beyond `allowed` (`keys` may be the mapping itself)."""
    permitted = set(allowed)
    extra = sorted(str(k) for k in keys if k not in permitted)
    if extra:
        raise ProfileError(f"{where}: unexpected key(s) {', '.join(extra)}")


def as_list(raw: object, where: str) -> list[object]:
    if not isinstance(raw, list):
        raise ProfileError(f"{where}: expected a list")
    return raw


def identifier(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not _ID.match(raw):
        raise ProfileError(f"{where}: '{raw}' is not an id (lower-case ASCII, digits, _)")
    return raw


def unique(ids: list[str], file: str, what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ProfileError(f"{file}: {what} '{item}' appears twice")
        seen.add(item)
