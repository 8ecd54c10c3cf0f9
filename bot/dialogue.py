"""A resident's conversation, one update at a time: load, run the flow, record, render.

Everything an update changes is written in one transaction, and the reply is rendered inside
it, before anything is sent: if the process dies after the commit, the resident's answer is
kept and the next message shows the right question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.engine import FlowEngine, Turn
from bot.flows.model import DialogState, Event, Input, Outcome
from bot.flows.screening import ScreeningHost
from bot.render import DEFAULT_LOCALE, LOCALES, RenderedScreen, Renderer
from storage import residents, updates
from storage.db import Database
from storage.models import Conversation, ConversationStatus, Resident, Screening

PRIVACY_NOTICE = "privacy_notice"
PRIVACY_NOTICE_VERSION = "2026-11"


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send once the update's transaction has committed."""

    chat_id: int
    dialog: RenderedScreen | None
    # The dialog message to edit in place; None sends the screen as a new message.
    edit_message_id: int | None
    toast: str | None = None
    before: tuple[RenderedScreen, ...] = field(default=())


class ResidentDialogue:
    def __init__(
        self,
        database: Database,
        engine: FlowEngine,
        host: ScreeningHost,
        renderer: Renderer,
        *,
        default_locale: str = DEFAULT_LOCALE,
        resume_after: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.engine = engine
        self.host = host
        self.renderer = renderer
        self.default_locale = default_locale
        self.resume_after = resume_after
        self.clock = clock

    async def handle(
        self,
        *,
        update_id: int,
        chat_id: int,
        user_id: int,
        language_code: str | None,
        event: Input,
        button_message_id: int | None = None,
    ) -> Reply | None:
        """Run one input through the flow; None when this update was handled before."""
        async with self.database.transaction() as session:
            if not await updates.claim(session, update_id=update_id):
                return None
            resident, conversation = await residents.with_conversation(
                session, telegram_user_id=user_id, chat_id=chat_id
            )
            state = _state_of(conversation)
            locale = resident.locale or _guess_locale(language_code, self.default_locale)
            consent = resident.consented_notice == PRIVACY_NOTICE_VERSION
            turn = Turn(
                locale=locale,
                translate=lambda label: self.renderer.text(label, locale),
                now=self.clock(),
                resume_after=self.resume_after,
                facts={"needs_language": resident.locale is None, "needs_consent": not consent},
            )
            outcome = self.engine.handle(state, event, turn)
            await self._record(session, resident, outcome, turn)
            if outcome.changed and outcome.state is not None:
                cancelled = any(e.kind == "cancelled" for e in outcome.events)
                ended = ConversationStatus.CANCELLED if cancelled else ConversationStatus.FINISHED
                conversation = _save(
                    session, conversation, outcome.state, chat_id, resident.id, ended
                )
            # A tap with the current version can only come from the dialog message we showed
            # last, so that is the message to edit; typed input gets a fresh message below it.
            edit = None if outcome.fresh else button_message_id
            if edit is not None and conversation is not None:
                conversation.dialog_message_id = edit
            locale = resident.locale or locale
            dialog = (
                self.renderer.render(outcome.screen, locale) if outcome.screen is not None else None
            )
            return Reply(
                chat_id=chat_id,
                dialog=dialog,
                edit_message_id=edit,
                toast=self.renderer.text(outcome.toast, locale) if outcome.toast else None,
                before=tuple(self.renderer.render(s, locale) for s in outcome.before),
            )

    async def _record(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, turn: Turn
    ) -> None:
        """Apply the flow's events to the resident's records, in the update's transaction."""
        for event in outcome.events:
            await self._apply(session, resident, outcome, event, turn)

    async def _apply(
        self,
        session: AsyncSession,
        resident: Resident,
        outcome: Outcome,
        event: Event,
        turn: Turn,
    ) -> None:
        state = outcome.state
        if event.kind == "locale" or (event.kind == "answered" and event.step == "language"):
            resident.locale = str(event.value)
        elif event.kind == "answered" and event.step == "consent":
            granted = event.value == "agree"
            residents.record_consent(
                session,
                resident=resident,
                purpose=PRIVACY_NOTICE,
                version=PRIVACY_NOTICE_VERSION,
                granted=granted,
            )
            if not granted and state is not None:
                # A refusal is the only thing we keep.
                state.answers, state.history = {}, []
        elif event.kind == "entered" and event.step == "result" and state is not None:
            await self._store_screening(session, resident, state)
        elif event.kind == "action" and event.value == "apply" and state is not None:
            screening = await self._store_screening(session, resident, state)
            evaluation = self.host.evaluate(state)
            screening.chosen_programmes = [
                r.programme.id for r in evaluation.results if r.verdict != "unlikely"
            ]

    async def _store_screening(
        self, session: AsyncSession, resident: Resident, state: DialogState
    ) -> Screening:
        """Write (or refresh, after an answer was changed) this conversation's screening."""
        evaluation = self.host.evaluate(state)
        answers = {k: v for k, v in state.answers.items() if k not in ("language", "consent")}
        screening_id = state.view.get("screening_id")
        screening = await session.get(Screening, screening_id) if screening_id else None
        if screening is None or screening.resident_id != resident.id:
            screening = Screening(resident_id=resident.id)
            session.add(screening)
        screening.answers = answers
        screening.verdicts = evaluation.to_record()
        screening.standards_version = evaluation.standards_version
        screening.evaluated_on = evaluation.on
        screening.urgent = answers.get("urgent") not in (None, "none")
        await session.flush()
        state.view["screening_id"] = screening.id
        return screening


def _guess_locale(language_code: str | None, default: str) -> str:
    if language_code and language_code.lower().startswith("en"):
        return "en"
    if language_code and language_code.lower().startswith("zh"):
        return "zh-CN"
    return default if default in LOCALES else DEFAULT_LOCALE


def _state_of(conversation: Conversation | None) -> DialogState | None:
    if conversation is None:
        return None
    return DialogState(
        flow=conversation.flow,
        step=conversation.step,
        answers=dict(conversation.answers),
        history=list(conversation.history),
        view=dict(conversation.view),
        version=conversation.version,
        active=conversation.status == ConversationStatus.ACTIVE,
        updated_at=conversation.updated_at,
    )


def _save(
    session: AsyncSession,
    conversation: Conversation | None,
    state: DialogState,
    chat_id: int,
    resident_id: int,
    status_when_ended: ConversationStatus,
) -> Conversation:
    if conversation is None:
        conversation = Conversation(
            chat_id=chat_id, resident_id=resident_id, started_at=state.updated_at
        )
        session.add(conversation)
    conversation.flow = state.flow
    conversation.step = state.step
    conversation.answers = state.answers
    conversation.history = state.history
    conversation.view = state.view
    conversation.version = state.version
    conversation.status = ConversationStatus.ACTIVE if state.active else status_when_ended
    conversation.updated_at = state.updated_at or datetime.now(UTC)
    return conversation
