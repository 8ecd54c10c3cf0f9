"""The window's alert about an application: town, programmes, masked personal data, what the
window last did (by whom, when) and its buttons; the digest of many at once; the unmasked
details sent privately."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import WindowPress
from bot.casework import intake
from bot.casework.authorization import Actor
from bot.casework.checklist import document_name
from bot.casework.intake import Case
from bot.casework.notifications import Markup, Reason, as_markup
from bot.casework.personal_data import mask_id_number, mask_name, mask_phone
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
from bot.render import RenderedScreen
from bot.staff.prompts import Prompt, rows_of
from bot.staff.replies import Keyboard, StaffReply, display_name, label, render, when
from storage.models import Application, DepartmentTask


def alert_buttons(application_id: int) -> Keyboard:
    def press(verb: str) -> str:
        return WindowPress(application_id, verb).encode()

    return (
        (
            Button(Label.of("staff.accept"), press("accept")),
            Button(Label.of("staff.request_documents"), press("documents")),
        ),
        (
            Button(Label.of("staff.reject"), press("reject")),
            Button(Label.of("staff.details"), press("details")),
        ),
    )


def alert_screen(
    casework: Casework,
    case: Case,
    *,
    outcome: str | None = None,
    prompt: str | None = None,
    keyboard: Keyboard | None = None,
) -> Screen:
    """The alert: town, programmes, urgency, masked personal data, and what was done."""
    profile, application = casework.profile, case.application
    return Screen(
        "staff/alert.html",
        {
            "application": application,
            "town": profile.town(application.town_id),
            "programmes": [profile.programme(t.programme_id) for t in case.tasks],
            "applicant": mask_name(application.applicant_name),
            "subject": mask_name(application.subject_name),
            "id_number": mask_id_number(application.subject_id_number),
            # A child's guardian: masked like every name in a group chat.
            "guardian": mask_name(application.guardian_name or ""),
            "guardian_relationship": guardian_relationship(casework, case),
            "phone": mask_phone(application.applicant_phone),
            "missing": [document_name(casework, doc) for doc in case.missing],
            "outcome": outcome,
            "prompt": prompt,
        },
        alert_buttons(application.id) if keyboard is None else keyboard,
    )


def guardian_relationship(casework: Casework, case: Case) -> str:
    """How the guardian of a child applied for is related to the child, in the staff's words."""
    code = case.application.guardian_relationship
    if not code:
        return ""
    key = f"application.guardian_relationship.{code}"
    catalogue = casework.renderer.catalogue(casework.staff_locale)
    return catalogue.text(Label(key)) if key in catalogue.entries else code


def digest(
    casework: Casework, applications: Sequence[Application], programmes: dict[int, int]
) -> tuple[str, Markup]:
    """Many new applications in one message, each with an "open" button for its full alert."""
    profile = casework.profile
    entries = [(a, profile.town(a.town_id), programmes.get(a.id, 0)) for a in applications]
    buttons = [Button(f"📂 {a.number}", WindowPress(a.id, "open").encode()) for a in applications]
    screen = Screen("staff/digest.html", {"entries": entries}, rows_of(buttons))
    return as_markup(screen, casework, casework.staff_locale)


def alert(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    """The alert as first posted, when the application arrives."""
    screen = alert_screen(casework, Case(application, list(tasks), [], list(missing)))
    return as_markup(screen, casework, casework.staff_locale)


class AlertView:
    """An application's alert as one staff member sees it after a press."""

    def __init__(self, session: AsyncSession, casework: Casework, case: Case, actor: Actor) -> None:
        self.session, self.casework, self.case, self.actor = session, casework, case, actor

    def press(self, verb: str, *args: str) -> str:
        return WindowPress(self.case.application.id, verb, args).encode()

    async def screen(
        self, *, prompt: str | None = None, keyboard: Keyboard | None = None
    ) -> RenderedScreen:
        if keyboard is None and not self.case.at_window:
            keyboard = ((Button(Label.of("staff.details"), self.press("details")),),)
        outcome = await self.outcome()
        screen = alert_screen(
            self.casework, self.case, outcome=outcome, prompt=prompt, keyboard=keyboard
        )
        return render(self.casework, screen)

    async def show(self, prompt: Prompt) -> StaffReply:
        return StaffReply(edit=await self.screen(prompt=prompt.text, keyboard=prompt.keyboard))

    async def done(self, key: str) -> StaffReply:
        """A decision was taken: say so, show the alert as it is now, and send the notices."""
        return StaffReply(toast=label(self.casework, key), edit=await self.screen())

    async def outcome(self) -> str | None:
        """What the window last did, by whom and when: shown under the alert."""
        event = await intake.last_decision(self.session, self.case.application)
        if event is None:
            return None
        fallback = self.actor.name if event.actor_id == self.actor.user_id else ""
        who = await display_name(self.session, event.actor_id, fallback)
        at, casework = when(event.created_at), self.casework
        if event.action == "accepted":
            departments = (
                casework.profile.departments.get(t.department_id) for t in self.case.tasks
            )
            names = [d.name.text(casework.staff_locale) for d in departments if d is not None]
            return label(
                casework,
                "window.outcome.accepted",
                who=who,
                when=at,
                departments="、".join(dict.fromkeys(names)),
            )
        if event.action == "documents_requested":
            docs = [document_name(casework, d) for d in (event.note or "").split(",") if d]
            return label(
                casework, "window.outcome.documents", who=who, when=at, documents="、".join(docs)
            )
        reason = Reason.read(event.note) or Reason("other")
        text = label(casework, f"reason.{reason.code}")
        if reason.note:
            text = f"{text}（{reason.note}）"
        return label(casework, "window.outcome.rejected", who=who, when=at, reason=text)

    def details(self) -> RenderedScreen:
        """The unmasked view, decrypted here, for the staff member's private chat only."""
        casework, case = self.casework, self.case
        application, profile = case.application, casework.profile
        screen = Screen(
            "staff/details.html",
            {
                "application": application,
                "town": profile.town(application.town_id),
                "applicant_id": application.applicant_id_number,
                "phone": application.applicant_phone,
                "subject_id": application.subject_id_number,
                "guardian_relationship": guardian_relationship(casework, case),
                "tasks": [(t, profile.programme(t.programme_id)) for t in case.tasks],
                "received": [document_name(casework, d) for d in case.received],
                "missing": [document_name(casework, d) for d in case.missing],
            },
        )
        return render(casework, screen)
