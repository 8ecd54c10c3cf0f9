"""Builds the python-telegram-bot ``Application`` and everything its handlers use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import maintenance
from bot.app_context import CONTEXT_TYPES, AppContext, BotData, Components
from bot.casework.deadlines import DeadlineWatch
from bot.casework.services import Casework, RelayLimits
from bot.config import ConfigurationError, Settings, keyring_of
from bot.delivery.dispatcher import Dispatcher, Limits
from bot.delivery.messenger import Messenger
from bot.dialogue import ResidentDialogue
from bot.flows.engine import FlowEngine
from bot.flows.model import Label
from bot.flows.screening import ScreeningHost, load_screening_flow
from bot.handlers.broadcast import broadcast_handlers
from bot.handlers.errors import on_error
from bot.handlers.my_applications import my_applications_handlers
from bot.handlers.relay import relay_handlers
from bot.handlers.resident import COMMANDS as RESIDENT_COMMANDS
from bot.handlers.resident import on_resident_update
from bot.handlers.rights import rights_handlers
from bot.handlers.staff import staff_handlers
from bot.handlers.staff_admin import staff_admin_handlers
from bot.handlers.subscriptions import NOTICES_GROUP, subscription_handlers
from bot.handlers.uploads import UPLOADS_GROUP, upload_handlers
from bot.notices.runner import BroadcastRunner
from bot.policy import load_profile
from bot.policy.base import CHINA
from bot.processing import PerChatUpdateProcessor
from bot.render import Renderer
from bot.staff.board import BOARD
from storage.db import Database

# Our Application: PTB's, with a typed ``bot_data`` (bot/app_context.py). The callback
# context is left open so that handlers typed with PTB's DEFAULT_TYPE register too (their
# ``AppContext.of`` checks the ``bot_data`` when called); new handlers take ``Context``.
YimenApplication = Application[ExtBot[None], Any, dict[Any, Any], dict[Any, Any], BotData, Any]


def build_components(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> Components:
    now = clock or (lambda: datetime.now(UTC))

    def today() -> date:
        return now().astimezone(CHINA).date()

    keyring = keyring_of(settings)
    profile = load_profile(settings.profile)
    unknown = [d for d in settings.department_chats if d not in profile.departments]
    if unknown:
        raise ConfigurationError(
            f"YIMEN_DEPARTMENT_CHATS: no department {unknown[0]!r} in the policy profile; "
            f"known: {', '.join(profile.departments)}"
        )
    host = ScreeningHost(profile, today)
    retention = maintenance.rules_from(settings, profile)
    renderer = Renderer(
        extra_labels=host.labels(), extra_globals={"profile": profile, "retention": retention}
    )
    database = Database(settings.database_url, keyring=keyring)
    casework = Casework(
        profile=profile,
        keyring=keyring,
        renderer=renderer,
        clock=now,
        staff_locale=settings.locale,
        staff_chat_id=settings.staff_chat_id,
        department_chats=dict(settings.department_chats),
        relay=RelayLimits(
            idle=timedelta(minutes=settings.relay_idle_minutes),
            per_minute=settings.relay_per_minute,
        ),
        board=BOARD,
    )
    engine = FlowEngine(load_screening_flow(), host)
    dialogue = ResidentDialogue(
        database,
        engine,
        host,
        renderer,
        default_locale=settings.locale,
        resume_after=timedelta(minutes=settings.resume_after_minutes),
        clock=now,
        casework=casework,
    )
    return Components(profile, database, renderer, host, dialogue, now, casework, retention)


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    dispatch_in_background: bool = True,
) -> YimenApplication:
    """The bot, ready to ``initialize``; tests pass a fake ``request`` and a clock, and drive
    the outbox dispatcher themselves (``dispatch_in_background=False``)."""
    components = build_components(settings, clock=clock)
    builder = (
        ApplicationBuilder()
        .token(token or settings.bot_token or "")
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is None and settings.proxy_url:
        builder = builder.proxy(settings.proxy_url).get_updates_proxy(settings.proxy_url)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application: YimenApplication = builder.build()
    dispatcher = Dispatcher(
        components.database,
        application.bot,
        components.clock,
        _limits(settings),
        repeat_notice=components.renderer.text(Label("delivery.repeat"), settings.locale),
    )
    application.bot_data.app = AppContext(
        components=components,
        settings=settings,
        messenger=Messenger(application.bot),
        dispatcher=dispatcher,
        broadcast_runner=_broadcast_runner(application, components, settings),
        deadline_watch=DeadlineWatch(components.database, components.casework),
        dispatch_in_background=dispatch_in_background,
    )
    # Subscriptions and broadcasts come before the dialogue: /notices, /stop, n|… and b|… end
    # there, /start only resumes notices and goes on to the dialogue.
    application.add_handlers(
        [*subscription_handlers(), *broadcast_handlers(settings.admin_ids)], group=NOTICES_GROUP
    )
    # Staff presses, group presses and staff-chat text only: residents' chats are untouched.
    application.add_handlers(staff_handlers(components.casework))
    # Files answering a request for documents, when no conversation step is collecting files.
    application.add_handlers(upload_handlers(), group=UPLOADS_GROUP)
    application.add_handlers(
        [
            *my_applications_handlers(),
            *relay_handlers(),
            *staff_admin_handlers(settings.admin_ids),
            *rights_handlers(),
        ]
    )
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, on_resident_update))
    application.add_handler(CallbackQueryHandler(on_resident_update))
    application.add_error_handler(on_error)
    return application


async def _post_init(application: YimenApplication) -> None:
    app = application.bot_data.app
    components = app.components
    app.tasks["housekeeping"] = asyncio.create_task(
        maintenance.run_forever(
            components.database,
            components.clock,
            components.retention,
        ),
        name="housekeeping",
    )
    app.tasks["deadlines"] = asyncio.create_task(app.deadline_watch.run_forever(), name="deadlines")
    if app.dispatch_in_background:
        app.tasks["dispatching"] = asyncio.create_task(app.dispatcher.run_forever(), name="outbox")
        app.tasks["broadcasting"] = asyncio.create_task(
            app.broadcast_runner.run_forever(), name="broadcasts"
        )
    for locale, language_code in (("zh-CN", None), ("en", "en")):
        commands = [
            BotCommand(name, app.renderer.text(Label(f"command.{name}"), locale))
            for name in RESIDENT_COMMANDS
        ]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


async def _post_shutdown(application: YimenApplication) -> None:
    app = application.bot_data.app
    for task in app.tasks.values():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    app.tasks.clear()
    await app.database.dispose()


def _limits(settings: Settings) -> Limits:
    return Limits(
        overall_per_second=settings.send_rate,
        private_per_second=settings.chat_rate,
        private_burst=settings.chat_burst,
        group_per_minute=settings.group_per_minute,
        max_attempts=settings.send_attempts,
    )


def _broadcast_runner(
    application: YimenApplication,
    components: Components,
    settings: Settings,
) -> BroadcastRunner:
    return BroadcastRunner(
        database=components.database,
        bot=application.bot,
        renderer=components.renderer,
        profile=components.profile,
        clock=components.clock,
        today=lambda: components.clock().astimezone(CHINA).date(),
        locale=settings.locale,
        batch=settings.broadcast_batch,
        rescreen_every=timedelta(hours=settings.rescreen_every_hours),
    )
