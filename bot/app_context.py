"""The application context, typed: what ``build_application`` made, as handlers see it.

PTB keeps one ``bot_data`` object per ``Application``; ours is :class:`BotData` (declared with
PTB's ``ContextTypes``), which holds one :class:`AppContext`. Handlers are typed with
:data:`Context` and reach everything through ``AppContext.of(context)``, never by a string key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.casework.deadlines import DeadlineWatch
from bot.casework.people import locale_for
from bot.casework.services import Casework
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.messenger import Messenger
from bot.dialogue import ResidentDialogue
from bot.flows.screening import ScreeningHost
from bot.flows.spec import Flow
from bot.notices.runner import BroadcastRunner
from bot.policy import Profile
from bot.render import Renderer
from storage import residents
from storage.db import Database
from storage.models import Resident
from storage.retention import RetentionRules


@dataclass(frozen=True, slots=True)
class Components:
    """The parts of the bot that do not depend on Telegram, built once per process
    (bot/app.py builds them; handlers reach them through the typed context below)."""

    profile: Profile
    database: Database
    renderer: Renderer
    host: ScreeningHost
    dialogue: ResidentDialogue
    clock: Callable[[], datetime]
    casework: Casework
    # How long each kind of record is kept (the privacy notices state it; housekeeping applies it).
    retention: RetentionRules


@dataclass(frozen=True, slots=True)
class AppContext:
    """What a handler works with, typed."""

    components: Components
    settings: Settings
    messenger: Messenger
    dispatcher: Dispatcher
    broadcast_runner: BroadcastRunner
    deadline_watch: DeadlineWatch
    # Tests drive the dispatcher and the broadcast runner themselves.
    dispatch_in_background: bool = True
    # The background tasks started after start-up, by name, cancelled at shutdown.
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # When each staff member was last reminded how to answer a relayed message.
    relay_hints: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, context: CallbackContext[Any, Any, Any, Any]) -> AppContext:
        """The context of the application ``context`` belongs to."""
        data = context.bot_data
        if not isinstance(data, BotData):
            raise TypeError("the application was not built by bot.app.build_application")
        return data.app

    @property
    def database(self) -> Database:
        return self.components.database

    @property
    def casework(self) -> Casework:
        return self.components.casework

    @property
    def default_locale(self) -> str:
        return self.components.dialogue.default_locale

    @property
    def dialogue(self) -> ResidentDialogue:
        return self.components.dialogue

    @property
    def renderer(self) -> Renderer:
        return self.components.renderer

    @property
    def flows(self) -> Mapping[str, Flow]:
        return self.components.dialogue.flows

    async def resident_and_locale(self, session: AsyncSession, user: User) -> tuple[Resident, str]:
        """The resident behind ``user`` (created on first contact) and the language to use."""
        resident = await residents.find_or_create(session, telegram_user_id=user.id)
        return resident, locale_for(resident, user.language_code, self.default_locale)

    async def known_resident_and_locale(
        self, session: AsyncSession, user: User
    ) -> tuple[Resident | None, str]:
        """Like ``resident_and_locale``, but creates no resident for someone we do not know."""
        resident = await residents.find(session, telegram_user_id=user.id)
        return resident, locale_for(resident, user.language_code, self.default_locale)


class BotData:
    """PTB's ``bot_data`` of our ``Application``: made empty by PTB, filled once by
    ``build_application``."""

    def __init__(self) -> None:
        self._app: AppContext | None = None

    @property
    def app(self) -> AppContext:
        if self._app is None:
            raise RuntimeError("build_application has not finished building this bot")
        return self._app

    @app.setter
    def app(self, app: AppContext) -> None:
        self._app = app


# What handlers are given; ``CONTEXT_TYPES`` tells PTB to make ``bot_data`` a ``BotData``.
Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
