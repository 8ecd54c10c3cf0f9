"""Typed access to what ``build_application`` put in ``bot_data``, for handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from telegram.ext import ContextTypes

from bot.casework.services import Casework
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.messenger import Messenger
from bot.dialogue import ResidentDialogue
from bot.flows.screening import ScreeningHost
from bot.notices.runner import BroadcastRunner
from bot.policy import Profile
from bot.render import Renderer
from storage.db import Database


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


@dataclass(frozen=True, slots=True)
class AppContext:
    """What a handler works with, typed: the one place that reads PTB's ``bot_data``."""

    components: Components
    messenger: Messenger
    dispatcher: Dispatcher
    broadcast_runner: BroadcastRunner

    @classmethod
    def of(cls, context: ContextTypes.DEFAULT_TYPE) -> AppContext:
        data = context.bot_data
        components: Components = data["components"]
        return cls(
            components=components,
            messenger=data["messenger"],
            dispatcher=data["dispatcher"],
            broadcast_runner=data["broadcast_runner"],
        )

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

    def wake_dispatcher(self) -> None:
        """Rows were committed to the outbox: send them now rather than at the next poll."""
        self.dispatcher.wake.set()
