"""A resident's conversation, one update at a time: load, run the flow, record, render.

Everything an update changes is written in one transaction, and the reply is rendered inside
it, before anything is sent: if the process dies after the commit, the resident's answer is
kept and the next message shows the right question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import checklist, relay
from bot.casework.applications import open_duplicates, submit
from bot.casework.people import locale_for, note_private_chat
from bot.casework.services import Casework
from bot.flows.application import FLOW_NAME as APPLICATION
from bot.flows.application import ApplicationHost, load_application_flow
from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.model import CommandInput, DialogState, Event, Input, Outcome, Screen
from bot.flows.screening import ScreeningHost
from bot.flows.spec import StepKind
from bot.render import DEFAULT_LOCALE, RenderedScreen, Renderer
from storage import residents, screenings, updates
from storage.db import Database
from storage.models import Conversation, ConversationStatus, Resident, Screening, StaffThread
from storage.residents import PRIVACY_NOTICE

PRIVACY_NOTICE_VERSION = "2026-11"
# The application's own notice: sensitive data, and passing it to the deciding departments.
APPLICATION_NOTICE = "application_notice"
APPLICATION_NOTICE_VERSION = "2026-11"
# Screening answers the application takes as given (its `reused` steps), shown for review.
REUSED_ANSWERS = ("for_whom", "town")
# Answers of the flows that are about consent, not about the resident's situation.
CONSENT_STEPS = {"consent": PRIVACY_NOTICE, "notice": APPLICATION_NOTICE}
# Where the application learns the person's ID or the programmes: check for an open one then.
DUPLICATE_CHECK_STEPS = ("programmes", "applicant_id", "subject_id")


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send once the update's transaction has committed."""

    chat_id: int
    dialog: RenderedScreen | None
    # The dialog message to edit in place; None sends the screen as a new message.
    edit_message_id: int | None
    toast: str | None = None
    before: tuple[RenderedScreen, ...] = field(default=())
    # Whether the update's transaction queued outbox messages for the dispatcher.
    queued: bool = False


class ResidentDialogue:
    def __init__(
        self,
        database: Database,
        engine: FlowEngine,
        host: ScreeningHost,
        renderer: Renderer,
        *,
        casework: Casework,
        default_locale: str = DEFAULT_LOCALE,
        resume_after: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.engine = engine
        self.host = host
        self.renderer = renderer
        self.casework = casework
        # The application flow shares the screening's profile and clock; its machine is built
        # once here, like the screening's.
        self.application_host = ApplicationHost(host.profile, host.today)
        self.application_host.renderer = renderer
        self.application = FlowEngine(load_application_flow(), self.application_host)
        self.engines = {engine.flow.name: engine, APPLICATION: self.application}
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
        display_name: str = "",
    ) -> Reply | None:
        """Run one input through the flow; None when this update was handled before."""
        async with self.database.transaction() as session:
            if not await updates.claim(session, update_id=update_id):
                return None
            resident, conversation, open_thread = await residents.with_conversation(
                session, telegram_user_id=user_id, chat_id=chat_id
            )
            locale = locale_for(resident, language_code, self.default_locale)
            note_private_chat(resident, self.clock())
            thread_ended: Screen | None = None
            if open_thread is not None:
                routing = await self._route(session, open_thread, conversation, event)
                if routing.to_staff is not None:
                    return await self._to_staff(
                        session, chat_id, open_thread, routing.to_staff, display_name, locale
                    )
                if routing.ask is not None:
                    which = self.renderer.render(relay.which_screen(routing.ask), locale)
                    return Reply(chat_id=chat_id, dialog=which, edit_message_id=None)
                assert routing.event is not None
                event = routing.event
                if routing.ended:
                    thread_ended = Screen("relay/ended.html", {"idle": routing.idle})
            state = _state_of(conversation)
            consent = resident.consented_notice == PRIVACY_NOTICE_VERSION
            turn = Turn(
                locale=locale,
                translate=lambda label: self.renderer.text(label, locale),
                now=self.clock(),
                resume_after=self.resume_after,
                facts={"needs_language": resident.locale is None, "needs_consent": not consent},
            )
            # The screening row an unfinished screening wrote (at its result, before the
            # resident went back to change an answer): /cancel deletes it with the answers.
            draft_screening = (
                state.view.get("screening_id")
                if state is not None and state.active and state.flow == self.engine.flow.name
                else None
            )
            outcome = await self._run(session, resident, state, event, turn)
            outcome = await self._record(session, resident, outcome, turn)
            if any(e.kind == "cancelled" for e in outcome.events):
                await _drop_screening(session, resident, draft_screening)
            if thread_ended is not None:
                outcome.before.insert(0, thread_ended)
            if outcome.changed and outcome.state is not None:
                cancelled = any(e.kind == "cancelled" for e in outcome.events)
                ended = ConversationStatus.CANCELLED if cancelled else ConversationStatus.FINISHED
                # The conversation's answers and view are encrypted by their column type.
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
                queued=bool(session.info.get("outbox_queued")),
            )

    async def _to_staff(
        self,
        session: AsyncSession,
        chat_id: int,
        thread_id: int,
        text: str,
        display_name: str,
        locale: str,
    ) -> Reply:
        thread = await session.get(StaffThread, thread_id)
        assert thread is not None  # found open in this very transaction
        relayed = await relay.relay_to_staff(
            session, self.casework, thread, text=text, telegram_name=display_name,
            now=self.clock(),
        )  # fmt: skip
        return Reply(
            chat_id=chat_id,
            dialog=self.renderer.render(relayed.screen(), locale),
            edit_message_id=None,
            queued=bool(session.info.get("outbox_queued")),
        )

    async def _route(
        self,
        session: AsyncSession,
        thread_id: int,
        conversation: Conversation | None,
        event: Input,
    ) -> relay.Routing:
        """Where the input goes while a thread with the staff is open (bot/casework/relay.py)."""
        thread = await session.get(StaffThread, thread_id)
        assert thread is not None  # found open in this very transaction
        now = self.clock()
        waiting, identifier = False, False
        if conversation is not None and conversation.status == ConversationStatus.ACTIVE:
            engine = self.engines.get(conversation.flow)
            step = engine.flow.steps.get(conversation.step) if engine is not None else None
            # A flow left for longer than resume_after asks "continue?" first: not waiting.
            recent = now - conversation.updated_at < self.resume_after
            waiting = step is not None and step.kind.asks and recent
            # An ID or phone number typed at its question is never relayed to a group.
            identifier = step is not None and step.kind in (StepKind.ID_NUMBER, StepKind.PHONE)
        return relay.route(
            thread,
            event,
            waiting=waiting,
            identifier=identifier,
            idle=self.casework.relay.idle,
            now=now,
        )

    def _engine_for(self, state: DialogState | None) -> FlowEngine:
        if state is None or not state.active:
            return self.engine  # a new conversation starts with the screening
        return self.engines.get(state.flow, self.engine)

    async def _run(
        self,
        session: AsyncSession,
        resident: Resident,
        state: DialogState | None,
        event: Input,
        turn: Turn,
    ) -> Outcome:
        if state is not None and state.flow == APPLICATION and state.step != "duplicate":
            # Duplicates found earlier route to their screen once; later moves check again.
            state.view.pop("duplicates", None)
        if isinstance(event, CommandInput) and event.name == "apply":
            if state is not None and state.active and state.flow == APPLICATION:
                # Already applying: the same as /start there (continue, or start over).
                return self.application.handle(state, CommandInput("start"), turn)
            return await self._begin_application(session, resident, state, turn)
        return self._engine_for(state).handle(state, event, turn)

    async def _begin_application(
        self, session: AsyncSession, resident: Resident, state: DialogState | None, turn: Turn
    ) -> Outcome:
        """The application flow, its programmes pre-selected from the resident's screening, and
        who it is for and where they live taken from it (never asked twice)."""
        screening = await self._screening_of(session, resident, state)
        chosen: list[str] = []
        reused: dict[str, Any] = {}
        if screening is not None:
            chosen = list(screening.chosen_programmes or _hopeful(screening))
            reused = {k: screening.answers[k] for k in REUSED_ANSWERS if k in screening.answers}
        kept = {k: v for k, v in (state.answers if state else {}).items() if k == "language"}
        outcome = self.application.begin(
            turn, answers={**kept, **reused, "programmes": chosen}, given=reused
        )
        assert outcome.state is not None
        if screening is not None:
            outcome.state.view["screening_id"] = screening.id
            # The checklist asks for a certificate only from someone who has the condition.
            answers = _facts(screening)
            outcome.state.view["facts"] = {
                k: answers[k] for k in checklist.FACTS_READ if k in answers
            }
        return outcome

    async def _screening_of(
        self, session: AsyncSession, resident: Resident, state: DialogState | None
    ) -> Screening | None:
        screening_id = state.view.get("screening_id") if state is not None else None
        if screening_id:
            screening = await screenings.get(session, screening_id=int(screening_id))
            if screening is not None and screening.resident_id == resident.id:
                return screening
        return await screenings.latest_for(session, resident_id=resident.id)

    async def _record(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, turn: Turn
    ) -> Outcome:
        """Apply the flow's events to the resident's records, in the update's transaction;
        an event may change the way on (a hand-over, a duplicate), so the outcome is returned."""
        for event in list(outcome.events):
            if outcome.state is not None and outcome.state.flow == APPLICATION:
                outcome = await self._apply_application(session, resident, outcome, event, turn)
            await self._apply(session, resident, outcome, event, turn)
            outcome = await self._hand_over(session, resident, outcome, event, turn)
        return outcome

    async def _hand_over(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, event: Event, turn: Turn
    ) -> Outcome:
        """An `end` step with `then` starts that flow; its own screen is shown first, as a note."""
        state = outcome.state
        if event.kind != "entered" or state is None or state.flow not in self.engines:
            return outcome
        target = self.engines[state.flow].flow.step(event.step).then
        if target != APPLICATION:
            return outcome
        started = await self._begin_application(session, resident, state, turn)
        if outcome.screen is not None:
            started.before.insert(0, outcome.screen)
        started.events = [*outcome.events, *started.events]
        started.fresh = True
        return started

    async def _apply_application(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, event: Event, turn: Turn
    ) -> Outcome:
        """The application's effects: start-over re-seeding, duplicate checks, submission."""
        state = outcome.state
        assert state is not None
        if event.kind == "restarted" and "programmes" not in state.answers:
            begun = await self._begin_application(session, resident, state, turn)
            assert begun.state is not None
            begun.state.answers = {**state.answers, **begun.state.answers}
            begun.state.version = state.version + 1
            return begun
        if event.kind == "answered" and event.step in DUPLICATE_CHECK_STEPS:
            return await self._check_duplicates(session, outcome, event, turn)
        if event.kind == "action" and event.value == "submit":
            return await self._submit(session, resident, outcome, event, turn)
        return outcome

    async def _check_duplicates(
        self, session: AsyncSession, outcome: Outcome, event: Event, turn: Turn
    ) -> Outcome:
        state = outcome.state
        assert state is not None
        host = self.application_host
        subject = host.subject_id_number(state)
        if event.step != "programmes" and event.step != host.subject_id_step(state):
            return outcome
        if subject is None or self.casework is None:
            return outcome

        found = await open_duplicates(
            session, self.casework, subject_id_number=subject, programmes=host.programmes(state)
        )
        return self._show_duplicates(state, found, event.step, turn, outcome)

    def _show_duplicates(
        self,
        state: DialogState,
        found: tuple[tuple[str, str], ...],
        step: str,
        turn: Turn,
        outcome: Outcome,
    ) -> Outcome:
        if not found:
            return outcome
        state.view["duplicates"] = [list(pair) for pair in found]
        state.step, state.active = step, True
        rerouted = self.application.reroute(state, turn, fresh=outcome.fresh)
        rerouted.events = [*outcome.events, *rerouted.events]
        return rerouted

    async def _submit(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, event: Event, turn: Turn
    ) -> Outcome:
        """Hand the application to casework in this transaction: one tap, one application."""

        state = outcome.state
        assert state is not None
        screening = await self._screening_of(session, resident, state)
        draft = self.application_host.draft(
            state,
            resident_id=resident.id,
            locale=turn.locale,
            facts=_facts(screening),
            urgent=bool(screening and screening.urgent),
            screening_id=screening.id if screening else None,
        )
        submission = await submit(session, draft, self.casework)
        if submission.duplicates:
            return self._show_duplicates(state, submission.duplicates, event.step, turn, outcome)
        # The application row now holds these answers (ID and phone encrypted): the
        # conversation keeps no copy of them.
        state.answers, state.history = {}, []
        state.view = {
            "submission": {
                "number": submission.number,
                "missing": list(submission.missing_documents),
                "application_id": submission.application_id,
            }
        }
        outcome.screen = self.application.screen(state, turn)
        return outcome

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
        elif event.kind == "answered" and event.step in CONSENT_STEPS:
            granted = event.value == "agree"
            purpose = CONSENT_STEPS[event.step]
            version = (
                PRIVACY_NOTICE_VERSION if purpose == PRIVACY_NOTICE else APPLICATION_NOTICE_VERSION
            )
            residents.record_consent(
                session,
                resident=resident,
                purpose=purpose,
                version=version,
                granted=granted,
                at=turn.now,
            )
            if not granted and state is not None:
                # A refusal is the only thing we keep.
                state.answers, state.history = {}, []
        elif event.kind == "forgot":
            # Someone who may not go on (a child alone): the screening this conversation
            # stored (before an answer was changed, or before /apply) goes too.
            screening_id = event.value.get("screening_id") if event.value else None
            await _drop_screening(session, resident, screening_id)
        elif state is None or state.flow != self.engine.flow.name:
            return
        elif event.kind == "entered" and event.step == "result":
            await self._store_screening(session, resident, state)
        elif event.kind == "action" and event.value == "apply":
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


async def _drop_screening(session: AsyncSession, resident: Resident, screening_id: Any) -> None:
    """Delete a screening this conversation stored, if there is one and it is the resident's."""
    if screening_id:
        await session.execute(
            delete(Screening).where(
                Screening.id == int(screening_id), Screening.resident_id == resident.id
            )
        )


def _hopeful(screening: Screening) -> list[str]:
    """Programmes the screening did not find unlikely, for a screening never applied from."""
    return [
        pid for pid, record in screening.verdicts.items() if record.get("verdict") != "unlikely"
    ]


def _facts(screening: Screening | None) -> dict[str, Any]:
    """The screening's answers, reused as the application's facts (never asked twice)."""
    if screening is None:
        return {}
    return {k: v for k, v in screening.answers.items() if k not in CONSENT_STEPS}


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
