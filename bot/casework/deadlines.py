"""Overdue tasks: remind the department and the window once a day per task, from rows.

Casework finds the tasks and how late they are; the reminder itself is drawn by the staff
screens (``StaffBoard.overdue``, in ``bot/staff/board.py``).

The job keeps no schedule of its own: it asks the database which tasks are past their due
date and were not reminded today (``reminded_on``), so a restart neither loses nor repeats a
reminder. Reminders to one chat in one run are combined into one message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import or_, select

from bot.casework.notifications import time_left
from bot.casework.services import Casework
from bot.casework.tasks import TaskState
from storage import outbox
from storage.db import Database
from storage.models import Application, DepartmentTask, Priority

log = logging.getLogger(__name__)

# Waiting for a decision; an approved task only waits for payment, with no statutory limit.
DECIDING = [
    str(s)
    for s in TaskState
    if s
    not in (
        TaskState.APPROVED,
        TaskState.REJECTED,
        TaskState.REFERRED,
        TaskState.PAID,
        TaskState.WITHDRAWN,
    )
]
CHECK_EVERY = timedelta(hours=1)


class DeadlineWatch:
    def __init__(self, database: Database, casework: Casework) -> None:
        self.database = database
        self.casework = casework

    async def run_once(self) -> int:
        """Queue today's reminders; returns how many tasks were reminded."""
        casework, today, board = self.casework, self.casework.today(), self.casework.board
        if board is None:  # nothing is posted to staff chats without their screens
            return 0
        async with self.database.transaction() as session:
            rows = (
                await session.execute(
                    select(DepartmentTask, Application)
                    .join(Application, Application.id == DepartmentTask.application_id)
                    .where(
                        DepartmentTask.state.in_(DECIDING),
                        DepartmentTask.due_on < today,
                        # A stopped clock (the public notice) is not overdue.
                        DepartmentTask.paused_since.is_(None),
                        or_(
                            DepartmentTask.reminded_on.is_(None), DepartmentTask.reminded_on < today
                        ),
                    )
                    .order_by(DepartmentTask.due_on, DepartmentTask.id)
                )
            ).all()
            for task, application in rows:
                task.reminded_on = today
                days, working, _due = time_left(casework, task)
                text, _ = board.overdue(
                    casework, application, task, days=-days, working_days=working
                )
                chats = [casework.staff_chat_id]
                if task.state != TaskState.AT_WINDOW:  # the department has it
                    chats.insert(0, casework.department_chats.get(task.department_id))
                for chat_id in dict.fromkeys(c for c in chats if c is not None):
                    await outbox.enqueue(
                        session,
                        chat_id=chat_id,
                        purpose="overdue",
                        priority=Priority.STAFF,
                        text=text,
                        combine_key=f"overdue:{chat_id}:{today.isoformat()}",
                        now=casework.clock(),
                    )
        if rows:
            log.info("reminded %d overdue tasks", len(rows))
        return len(rows)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("overdue check failed; trying again later")
            await asyncio.sleep(CHECK_EVERY.total_seconds())
