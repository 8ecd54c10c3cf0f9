"""Statutory time limits counted in China's working days (official holidays and make-up days)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)
# Years already reported as beyond the library's calendar: said once per process, not per day.
_UNKNOWN_YEARS: set[int] = set()


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day; deadlines and days left ask this of every day in
    between, at every staff press, so each day is looked up once."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Beyond the calendar the library knows: count Monday to Friday, and say so (once).
        if day.year not in _UNKNOWN_YEARS:
            _UNKNOWN_YEARS.add(day.year)
            log.warning(
                "no official holiday calendar for %s; counting Monday-Friday (update the "
                "chinese-calendar package when the State Council publishes the year)",
                day.year,
            )
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def due_date(start: date, days: int, *, working_days: bool) -> date:
    return add_working_days(start, days) if working_days else start + timedelta(days=days)


def working_days_left(today: date, due: date) -> int:
    """Working days from today until the due date (negative when overdue)."""
    if due >= today:
        return sum(
            1 for n in range(1, (due - today).days + 1) if is_working_day(today + timedelta(days=n))
        )
    return -sum(
        1 for n in range(1, (today - due).days + 1) if is_working_day(due + timedelta(days=n))
    )
