"""The staff screens casework posts in its own transactions (``services.StaffBoard``): the
window's alert and digest at submission, a task card (or the window's note) when the
resident's documents arrive, and the daily reminder of an overdue task. Wired into
``Casework`` by ``bot/app.py``."""

from __future__ import annotations

import html
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RelayPress
from bot.casework.checklist import document_names
from bot.casework.notifications import Markup, as_markup
from bot.casework.personal_data import mask_name
from bot.casework.relay.messages import RelayedText, StaffNote
from bot.casework.relay.threads import CLOSE
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
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

    def relayed(self, casework: Casework, said: RelayedText) -> tuple[str, Markup]:
        close = Button(Label.of("relay.staff_close"), RelayPress(CLOSE, said.thread).encode())
        screen = Screen("relay/to_staff.html", _values(said), ((close,),))
        return as_markup(screen, casework, casework.staff_locale)

    def relayed_more(self, casework: Casework, said: RelayedText) -> str:
        screen = Screen("relay/more.html", _values(said))
        return casework.renderer.render(screen, casework.staff_locale).text

    def relay_note(self, casework: Casework, note: StaffNote) -> tuple[str, Markup]:
        return as_markup(Screen(f"relay/{note}.html"), casework, casework.staff_locale)


def _values(said: RelayedText) -> dict[str, object]:
    return {
        "name": said.name,
        "number": said.number,
        "thread": said.thread,
        "text": said.text,
        "part": said.part,
    }


BOARD = Board()
