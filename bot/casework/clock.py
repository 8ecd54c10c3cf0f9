"""The statutory clock of a department task: when it starts, when it stops, and its due date.

The clock starts when the town window accepts (受理), not when the resident submits online. It
counts in the unit the rule uses (working days or calendar days, from the profile), stops while
the task is in a stage the rule leaves out (the public notice for 低保), grows once to the
extended limit when staff record a reason, and tells the machine (``conditions``) what the rules
and the calendar allow today: the home visit done or due, the notice's full days run.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.casework.services import Casework
from bot.casework.tasks import Conditions, TaskAction, TaskState
from bot.casework.workdays import due_date, is_working_day
from bot.policy.base import CHINA
from bot.policy.profile import NoticePeriod, TimeLimit
from storage.models import DepartmentTask

# The stages a time limit's `pauses` may name.
PAUSING_STATES = {
    "public_notice": TaskState.NOTICE_STARTED,
    "documents": TaskState.DOCUMENTS_NEEDED,
}


def limit_of(casework: Casework, task: DepartmentTask) -> TimeLimit | None:
    programme = casework.profile.programme(task.programme_id)
    return programme.time_limit if programme is not None else None


def start(casework: Casework, task: DepartmentTask) -> None:
    """The window accepted (or another department took over): the full limit from today."""
    task.clock_started_on = casework.today()
    task.paused_since, task.paused_days, task.extended = None, 0, False
    limit = limit_of(casework, task)
    if limit is not None:
        task.due_on = _due(limit, task.clock_started_on, 0, extended=False)


def days_allowed(limit: TimeLimit, *, extended: bool) -> int:
    return limit.extended_days if extended and limit.extended_days else limit.days


def _due(limit: TimeLimit, started: date, paused: int, *, extended: bool) -> date:
    days = days_allowed(limit, extended=extended) + paused
    return due_date(started, days, working_days=limit.working_days)


def _counted(since: date, until: date, *, working_days: bool) -> int:
    """Days in (since, until] in the limit's unit: the days the clock stood still."""
    if until <= since:
        return 0
    if not working_days:
        return (until - since).days
    return sum(
        1 for n in range(1, (until - since).days + 1) if is_working_day(since + timedelta(n))
    )


def notice_ends(casework: Casework, task: DepartmentTask | None) -> str | None:
    """The public notice's last full day (ISO date) once it has started, else None."""
    if task is None or task.notice_started_on is None:
        return None
    return notice_ends_on(casework.profile.public_notice, task.notice_started_on).isoformat()


def effective_due(casework: Casework, task: DepartmentTask) -> date:
    """The due date as it stands today: a paused clock pushes it on day by day."""
    limit = limit_of(casework, task)
    if limit is None or task.paused_since is None or task.clock_started_on is None:
        return task.due_on
    standing = _counted(task.paused_since, casework.today(), working_days=limit.working_days)
    return _due(limit, task.clock_started_on, task.paused_days + standing, extended=task.extended)


def after(casework: Casework, task: DepartmentTask, before: str, action: str) -> None:
    """Move the clock for a task that went from ``before`` to ``task.state`` by ``action``."""
    today, limit = casework.today(), limit_of(casework, task)
    if action == TaskAction.VISIT_DONE:
        task.visited_on = today
    if action == TaskAction.START_NOTICE:
        task.notice_started_on = today
    if action == TaskAction.EXTEND:
        task.extended = True  # once: the machine allows no second extension
    if limit is None:
        return
    if task.clock_started_on is None:
        # A task accepted before the clock was kept: count from the day it was created.
        task.clock_started_on = task.created_at.astimezone(CHINA).date()
    pausing = {PAUSING_STATES[p] for p in limit.pauses}
    if task.state in pausing and before not in pausing:
        task.paused_since = today
    elif before in pausing and task.state not in pausing and task.paused_since is not None:
        task.paused_days += _counted(task.paused_since, today, working_days=limit.working_days)
        task.paused_since = None
    task.due_on = _due(limit, task.clock_started_on, task.paused_days, extended=task.extended)


def notice_ends_on(notice: NoticePeriod, started: date) -> date:
    """The last full day of the notice; it may be ended the day after."""
    return due_date(started, notice.days, working_days=notice.working_days)


def conditions(casework: Casework, task: DepartmentTask) -> Conditions:
    """What the rules and today's date allow this task (the task machine's conditions)."""
    today = casework.today()
    programme = casework.profile.programme(task.programme_id)
    limit = programme.time_limit if programme is not None else None
    started = task.notice_started_on
    return Conditions(
        needs_public_notice=task.needs_public_notice,
        home_visit_required=programme is not None and programme.home_visit,
        visit_done=task.visited_on is not None,
        visit_day_reached=task.visit_on is None or task.visit_on <= today,
        notice_over=started is None
        or notice_ends_on(casework.profile.public_notice, started) < today,
        extendable=limit is not None and limit.extended_days is not None and not task.extended,
    )
