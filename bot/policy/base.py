"""Small types shared by the profile loader, the rule language and the eligibility engine."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

DEFAULT_LOCALE: Final = "zh-CN"
# Policy dates are Chinese dates: a time limit counts days in China, a month starts there.
CHINA: Final = ZoneInfo("Asia/Shanghai")


class ProfileError(Exception):
    """A policy profile folder is incomplete or contradicts itself; the message names where."""


class Verdict(StrEnum):
    """How a programme looks for this resident; the town or district always decides."""

    LIKELY = "likely"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"

    @property
    def rank(self) -> int:
        """Sort key: likely first."""
        return _RANK[self]


_RANK: Final = {Verdict.LIKELY: 0, Verdict.POSSIBLE: 1, Verdict.UNLIKELY: 2}


class TownKind(StrEnum):
    """A street (街道) uses the urban dibao line, a town (镇) the rural one."""

    STREET = "street"
    TOWN = "town"


@dataclass(frozen=True, slots=True)
class LocalText:
    """One text in several locales; missing locales fall back to zh-CN."""

    texts: Mapping[str, str]

    def __post_init__(self) -> None:
        # A private copy, so a caller's dict changing later cannot change the profile.
        object.__setattr__(self, "texts", dict(self.texts))

    def __hash__(self) -> int:
        return hash(frozenset(self.texts.items()))

    def text(self, locale: str) -> str:
        found = self.texts.get(locale)
        return found if found is not None else self.texts.get(DEFAULT_LOCALE, "")


class _Defaulting(dict[str, str]):
    """Placeholder values where a fact nobody answered reads as e.g. "不详" instead of failing."""

    def __init__(self, values: Mapping[str, str], default: str) -> None:
        super().__init__(values)
        self.default = default

    def __missing__(self, key: str) -> str:
        return self.default


def fill(text: LocalText, values: Mapping[str, Mapping[str, str]], default: LocalText) -> LocalText:
    """Fill {placeholders} per locale; `values` maps locale -> name -> formatted value."""
    return LocalText(
        {
            locale: template.format_map(_Defaulting(values.get(locale, {}), default.text(locale)))
            for locale, template in text.texts.items()
        }
    )


def format_number(value: Decimal | int) -> str:
    """Yuan for people: 400, 333.33, 999.5 — never 400.00."""
    if isinstance(value, int):
        return str(value)
    shown = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def parse_text(
    raw: object,
    locales: tuple[str, ...],
    where: str,
    placeholders: frozenset[str] | None = None,
) -> LocalText:
    """Read {locale: text}; every profile locale must be there, and placeholders must be known."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a text per locale ({', '.join(locales)})")
    for locale in locales:
        value = raw.get(locale)
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(f"{where}: missing locale '{locale}'")
    extra = [str(key) for key in raw if key not in locales]
    if extra:
        # Most often a comma inside an unquoted {zh-CN: …, en: …}: YAML ends the text there
        # and reads the rest as another key, so the resident sees a name cut short.
        raise ProfileError(
            f"{where}: unexpected key {extra[0]!r} beside the locales ({', '.join(locales)}); "
            "quote a text that contains a comma"
        )
    texts = {str(k): str(v) for k, v in raw.items()}
    if placeholders is not None:
        for locale, template in texts.items():
            for name in _placeholders(template, f"{where} ({locale})"):
                if name not in placeholders:
                    raise ProfileError(f"{where} ({locale}): unknown placeholder '{{{name}}}'")
    return LocalText(texts)


def _placeholders(template: str, where: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:  # an unbalanced brace
        raise ProfileError(f"{where}: {error}") from None


# Words in a `source` that say the figure or rule was not confirmed against its document.
UNVERIFIED_MARKERS: Final = ("unverified", "not found", "placeholder", "illustrative")


def unverified(source: str) -> bool:
    """Whether a source admits it was not confirmed: such a figure is never shown as an amount."""
    lowered = source.lower()
    return not lowered.strip() or any(marker in lowered for marker in UNVERIFIED_MARKERS)
