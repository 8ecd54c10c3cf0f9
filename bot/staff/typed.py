"""Reading what staff type in reply to a card (dates, amounts, notes) and the values a prompt
keeps in its own buttons (document masks, days, months): None for anything unreadable, so the
caller can ask again with a hint (typed) or refuse it as forged (pressed)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from bot.flows.parsing import normalise, parse_number, strip_invisible

MAX_NOTE = 500  # a reason or note staff type, as kept in the ledger
MAX_AMOUNT = 1_000_000  # yuan: more is a typing slip
VISIT_WITHIN = timedelta(days=90)  # how far ahead a home visit may be booked

_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_SHORT_DATE = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_FULL_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:起|开始)?")
_SHORT_MONTH = re.compile(r"(\d{1,2})\s*月(?:份)?(?:起|开始)?")


def note(text: str) -> str:
    """A typed note on one line, without invisible characters, at most MAX_NOTE long; ""
    when nothing is left."""
    return " ".join(strip_invisible(text).split())[:MAX_NOTE]


def parse_date(text: str, today: date) -> date | None:
    """2026-03-09, 2026年3月9日, 3月9日, 3/9 → a date (this year, or next if already past)."""
    cleaned = normalise(text)
    full = _FULL_DATE.search(cleaned)
    try:
        if full:
            return date(int(full[1]), int(full[2]), int(full[3]))
        short = _SHORT_DATE.search(cleaned)
        if short:
            day = date(today.year, int(short[1]), int(short[2]))
            return day if day >= today else date(today.year + 1, day.month, day.day)
    except ValueError:
        return None
    return None


def visit_day_ok(day: date, today: date) -> bool:
    """A home visit is booked from today up to VISIT_WITHIN ahead."""
    return today <= day <= today + VISIT_WITHIN


def parse_amount_and_month(text: str, today: date) -> tuple[int | None, str | None]:
    """ "800 2026-04", "800元，2026年4月起", "一千五 4月" → (yuan, "YYYY-MM"); parts may be None."""
    cleaned = normalise(text)
    month: str | None = None
    found = _FULL_MONTH.search(cleaned)
    if found and 1 <= int(found[2]) <= 12:
        month = f"{int(found[1]):04d}-{int(found[2]):02d}"
    else:
        found = _SHORT_MONTH.search(cleaned)
        if found and 1 <= int(found[1]) <= 12:
            month = f"{today.year:04d}-{int(found[1]):02d}"
    rest = (cleaned[: found.start()] + " " + cleaned[found.end() :]) if found and month else cleaned
    rest = re.sub(r"[，,；;]", " ", rest).strip()
    number = parse_number(rest.split()[0]) if rest.split() else None
    if number is None:
        number = parse_number(rest)
    return _whole(number), month


def _whole(number: Decimal | None) -> int | None:
    if number is None or number != number.to_integral_value() or not 0 < number <= MAX_AMOUNT:
        return None
    return int(number)


# ---- values kept in a prompt's buttons ---------------------------------------------------------


def day_of(text: str) -> date | None:
    """YYYYMMDD (a visit day button)."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


def month_of(text: str) -> str | None:
    """YYYYMM (a start month button) → "YYYY-MM"."""
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        return None
    return f"{text[:4]}-{text[4:]}"


def amount_of(text: str) -> int | None:
    """Whole yuan (an amount kept in a month button)."""
    return _whole(Decimal(text)) if text.isdigit() else None


def index_of(text: str, size: int) -> int | None:
    """The position of an item among ``size``."""
    return int(text) if text.isdigit() and int(text) < size else None


def parse_mask(text: str, size: int) -> int | None:
    """A hex selection mask that fits ``size`` items; None when forged or stale."""
    try:
        value = int(text, 16)
    except ValueError:
        return None
    return value if 0 <= value < (1 << size) else None


def picked(items: Sequence[str], mask: int) -> list[str]:
    """The items whose bit is set in ``mask`` (selection kept in the callback data itself)."""
    return [item for index, item in enumerate(items) if mask >> index & 1]


def mask_of(items: Sequence[str], chosen: Sequence[str]) -> int:
    return sum(1 << index for index, item in enumerate(items) if item in chosen)
