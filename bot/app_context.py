"""Typed access to what ``build_application`` put in ``bot_data``, for handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

from bot.casework.services import Casework
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.messenger import Messenger
from storage.db import Database

if TYPE_CHECKING:
    from bot.app import Components


@dataclass(frozen=True, slots=True)
class AppContext:
    database: Database
    casework: Casework
    messenger: Messenger
    dispatcher: Dispatcher
    default_locale: str

    @classmethod
    def of(cls, context: ContextTypes.DEFAULT_TYPE) -> AppContext:
        data = context.bot_data
        components: Components = data["components"]
        return cls(
            database=components.database,
            casework=data["casework"],
            messenger=data["messenger"],
            dispatcher=data["dispatcher"],
            default_locale=components.dialogue.default_locale,
        )

    def wake_dispatcher(self) -> None:
        """Rows were committed to the outbox: send them now rather than at the next poll."""
        self.dispatcher.wake.set()
