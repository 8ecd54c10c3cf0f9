"""Statutory time limits counted in China's working days (official holidays and make-up days)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Beyond the calendar the library knows: count Monday to Friday, and say so.
        log.warning("no official holiday calendar for %s; counting Monday-Friday", day.year)
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
