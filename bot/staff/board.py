"""The staff screens casework posts in its own transactions (``services.StaffBoard``): the
window's alert and digest at submission, and a task card when the resident's documents
arrive. Wired into ``Casework`` by ``bot/app.py``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.notifications import Markup
from bot.casework.services import Casework
from bot.staff import alert
from bot.staff.task_card import TaskCard
from storage.models import Application, DepartmentTask


class Board:
    def alert(
        self,
        casework: Casework,
        application: Application,
        tasks: Sequence[DepartmentTask],
        missing: Sequence[str],
    ) -> tuple[str, Markup]:
        return alert.alert(casework, application, tasks, missing)

    def digest(
        self, casework: Casework, applications: Sequence[Application], programmes: dict[int, int]
    ) -> tuple[str, Markup]:
        return alert.digest(casework, applications, programmes)

    async def post_task_card(
        self,
        session: AsyncSession,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
    ) -> None:
        await TaskCard(session, casework, application, task).post()


BOARD = Board()
