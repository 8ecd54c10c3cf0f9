"""A resident's conversation, one update at a time: claim, load, run the flow, run the
effects it declares, save, render.

Everything an update changes is written in one transaction, and the reply is rendered inside
it, before anything is sent: if the process dies after the commit, the resident's answer is
kept and the next message shows the right question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import relay
from bot.casework.people import locale_for, note_private_chat
from bot.casework.services import Casework
from bot.dialogue.consent import PRIVACY_NOTICE_VERSION
from bot.dialogue.effects import Effects, Services, forget_routed
from bot.dialogue.store import load, save
from bot.flows.application import ApplicationHost, load_application_flow
from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.model import CommandInput, DialogState, EventKind, Input, Outcome, Screen
from bot.flows.screening import ScreeningHost
from bot.flows.spec import StepKind
from bot.render import DEFAULT_LOCALE, RenderedScreen, Renderer
from storage import updates
from storage.db import Database
from storage.models import Conversation, ConversationStatus, Resident, StaffThread


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
        casework: Casework,
        default_locale: str = DEFAULT_LOCALE,
        resume_after: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.engine = engine
        self.renderer = renderer
        self.casework = casework
        # The application flow shares the screening's profile and clock; its machine is built
        # once here, like the screening's.
        application_host = ApplicationHost(host.profile, host.today, renderer)
        application = FlowEngine(load_application_flow(), application_host)
        self.engines = {engine.flow.name: engine, application.flow.name: application}
        # The flows by name, for what must know a conversation's step (uploads, relay).
        self.flows = {name: e.flow for name, e in self.engines.items()}
        self.effects = Effects(Services(casework, host, application_host, self.engines))
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
            loaded = await load(session, user_id=user_id, chat_id=chat_id)
            resident = loaded.resident
            locale = locale_for(resident, language_code, self.default_locale)
            note_private_chat(resident, self.clock())
            thread_ended: Screen | None = None
            if loaded.open_thread is not None:
                thread = await session.get(StaffThread, loaded.open_thread)
                assert thread is not None  # found open in this very transaction
                routing = self._route(thread, loaded.conversation, event)
                if routing.to_staff is not None:
                    return await self._to_staff(
                        session, chat_id, thread, routing.to_staff, display_name, locale
                    )
                if routing.ask is not None:
                    which = self.renderer.render(relay.which_screen(routing.ask), locale)
                    return Reply(chat_id=chat_id, dialog=which, edit_message_id=None)
                assert routing.event is not None
                event = routing.event
                if routing.ended:
                    thread_ended = Screen("relay/ended.html", {"idle": routing.idle})
            turn = self._turn(resident, locale)
            outcome = await self._run(session, resident, loaded.state, event, turn)
            outcome = await self.effects.run(session, resident, outcome, turn)
            for language in (e.value for e in outcome.events if e.kind is EventKind.LOCALE):
                resident.locale = str(language)  # the language buttons, shown at any step
            if thread_ended is not None:
                outcome.before.insert(0, thread_ended)
            if outcome.changed and outcome.state is not None:
                cancelled = any(e.kind is EventKind.CANCELLED for e in outcome.events)
                save(session, loaded, outcome.state, chat_id=chat_id, cancelled=cancelled)
            # A tap with the current version can only come from the dialog message we showed
            # last, so that is the message to edit; typed input gets a fresh message below it.
            edit = None if outcome.fresh else button_message_id
            if edit is not None and loaded.conversation is not None:
                loaded.conversation.dialog_message_id = edit
            return self._reply(chat_id, outcome, resident.locale or locale, edit)

    def _turn(self, resident: Resident, locale: str) -> Turn:
        consent = resident.consented_notice == PRIVACY_NOTICE_VERSION
        return Turn(
            locale=locale,
            translate=lambda label: self.renderer.text(label, locale),
            now=self.clock(),
            resume_after=self.resume_after,
            facts={"needs_language": resident.locale is None, "needs_consent": not consent},
        )

    def _reply(
        self,
        chat_id: int,
        outcome: Outcome,
        locale: str,
        edit: int | None,
    ) -> Reply:
        dialog = self.renderer.render(outcome.screen, locale) if outcome.screen else None
        return Reply(
            chat_id=chat_id,
            dialog=dialog,
            edit_message_id=edit,
            toast=self.renderer.text(outcome.toast, locale) if outcome.toast else None,
            before=tuple(self.renderer.render(s, locale) for s in outcome.before),
        )

    async def _to_staff(
        self,
        session: AsyncSession,
        chat_id: int,
        thread: StaffThread,
        text: str,
        display_name: str,
        locale: str,
    ) -> Reply:
        relayed = await relay.relay_to_staff(
            session, self.casework, thread, text=text, telegram_name=display_name,
            now=self.clock(),
        )  # fmt: skip
        return Reply(
            chat_id=chat_id,
            dialog=self.renderer.render(relayed.screen(), locale),
            edit_message_id=None,
        )

    def _route(
        self, thread: StaffThread, conversation: Conversation | None, event: Input
    ) -> relay.Routing:
        """Where the input goes while a thread with the staff is open (bot/casework/relay.py)."""
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

    async def _run(
        self,
        session: AsyncSession,
        resident: Resident,
        state: DialogState | None,
        event: Input,
        turn: Turn,
    ) -> Outcome:
        if state is not None:
            forget_routed(state)
        if isinstance(event, CommandInput) and event.name in self.effects.commands:
            flow = self.effects.commands[event.name]
            if state is not None and state.active and state.flow == flow:
                # Already in that flow: the same as /start there (continue, or start over).
                return self.engines[flow].handle(state, CommandInput("start"), turn)
            return await self.effects.begin(flow, session, resident, state, turn)
        if state is None or not state.active:
            engine = self.engine  # a new conversation starts with the screening
        else:
            engine = self.engines.get(state.flow, self.engine)
        return engine.handle(state, event, turn)
