"""The staff screens casework posts in its own transactions (``services.StaffBoard``): the
window's alert and digest at submission, a task card (or the window's note) when the
resident's documents arrive, and the daily reminder of an overdue task. Wired into
``Casework`` by ``bot/app.py``."""

from __future__ import annotations

import html
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.checklist import document_names
from bot.casework.notifications import Markup, as_markup
from bot.casework.personal_data import mask_name
from bot.casework.services import Casework
from bot.flows.model import Label, Screen
from bot.render import join_names
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

    def overdue(
        self,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
        *,
        days: int,
        working_days: bool,
    ) -> tuple[str, Markup]:
        screen = Screen(
            "staff/overdue.html",
            {
                "task": task,
                "application": application,
                "programme": casework.profile.programme(task.programme_id),
                "department": casework.profile.departments.get(task.department_id),
                "town": casework.profile.town(application.town_id),
                "subject": mask_name(application.subject_name),
                "overdue": days,
                "working_days": working_days,
            },
        )
        return as_markup(screen, casework, casework.staff_locale)

    def documents_arrived(
        self, casework: Casework, application: Application, received: Sequence[str]
    ) -> str:
        names = join_names(document_names(casework, list(received)), casework.staff_locale)
        notice = Label.of(
            "upload.staff_notice", number=application.number, documents=html.escape(names or "-")
        )
        return casework.renderer.text(notice, casework.staff_locale)


BOARD = Board()
