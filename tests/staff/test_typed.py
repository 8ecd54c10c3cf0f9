"""Reading what staff type on a card, table-driven: dates, amounts with start months, notes."""

from datetime import date

import pytest

from bot.staff.typed import (
    MAX_NOTE,
    note,
    parse_amount_and_month,
    parse_date,
    parse_mask,
    visit_day_ok,
)

TODAY = date(2026, 3, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-09", date(2026, 3, 9)),
        ("2026年3月9日", date(2026, 3, 9)),
        ("３月９号", date(2026, 3, 9)),  # full-width digits
        ("3/9", date(2026, 3, 9)),
        ("1月2日", date(2027, 1, 2)),  # already past this year: next year's
        ("2026-02-30", None),
        ("下周二", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("800 2026-04", (800, "2026-04")),
        ("800元，2026年4月起", (800, "2026-04")),
        ("一千五 4月", (1500, "2026-04")),
        ("800", (800, None)),
        ("800.5 2026-04", (None, "2026-04")),  # whole yuan only
        ("0", (None, None)),
        ("2000000", (None, None)),  # a typing slip, not an amount
    ],
)
def test_amounts_and_months(text: str, expected: tuple[int | None, str | None]) -> None:
    assert parse_amount_and_month(text, TODAY) == expected


def test_notes_are_one_line_without_invisible_characters_and_bounded() -> None:
    assert note("  收入\n超过\u200b标准 ") == "收入 超过标准"
    assert note("\u200b \n") == ""
    assert len(note("字" * (MAX_NOTE + 50))) == MAX_NOTE


def test_visit_days_and_masks() -> None:
    assert visit_day_ok(TODAY, TODAY) and not visit_day_ok(date(2026, 3, 4), TODAY)
    assert not visit_day_ok(date(2026, 6, 4), TODAY)
    assert parse_mask("5", 3) == 5 and parse_mask("8", 3) is None and parse_mask("zz", 3) is None
