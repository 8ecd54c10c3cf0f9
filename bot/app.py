"""Builds the python-telegram-bot ``Application`` and everything its handlers use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import maintenance
from bot.app_context import Components
from bot.casework.deadlines import DeadlineWatch
from bot.casework.services import CHINA, Casework, RelayLimits
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
from bot.processing import PerChatUpdateProcessor
from bot.render import Renderer
from bot.staff.board import BOARD
from storage.db import Database


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
    renderer = Renderer(
        extra_labels=host.labels(),
        extra_globals={"profile": profile, "retention": maintenance.rules_from(settings, profile)},
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
    return Components(profile, database, renderer, host, dialogue, now, casework)


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    dispatch_in_background: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready to ``initialize``; tests pass a fake ``request`` and a clock, and drive
    the outbox dispatcher themselves (``dispatch_in_background=False``)."""
    components = build_components(settings, clock=clock)
    builder = (
        ApplicationBuilder()
        .token(token or settings.bot_token or "")
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
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
    application = builder.build()
    application.bot_data.update(
        components=components,
        dialogue=components.dialogue,
        renderer=components.renderer,
        casework=components.casework,
        messenger=Messenger(application.bot),
        dispatcher=Dispatcher(
            components.database,
            application.bot,
            components.clock,
            _limits(settings),
            repeat_notice=components.renderer.text(Label("delivery.repeat"), settings.locale),
        ),
        dispatch_in_background=dispatch_in_background,
        settings=settings,
    )
    application.bot_data["broadcast_runner"] = _broadcast_runner(application, settings)
    # Subscriptions and broadcasts come before the dialogue: /notices, /stop, n|… and b|… end
    # there, /start only resumes notices and goes on to the dialogue.
    application.add_handlers(
        [*subscription_handlers(), *broadcast_handlers(settings.admin_ids)], group=NOTICES_GROUP
    )
    application.bot_data["deadline_watch"] = DeadlineWatch(
        components.database, components.casework, wake=application.bot_data["dispatcher"].wake.set
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


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    components: Components = application.bot_data["components"]
    application.bot_data["housekeeping"] = asyncio.create_task(
        maintenance.run_forever(
            components.database,
            components.clock,
            maintenance.rules_from(application.bot_data["settings"], components.profile),
        ),
        name="housekeeping",
    )
    watch: DeadlineWatch = application.bot_data["deadline_watch"]
    application.bot_data["deadlines"] = asyncio.create_task(watch.run_forever(), name="deadlines")
    if application.bot_data["dispatch_in_background"]:
        dispatcher: Dispatcher = application.bot_data["dispatcher"]
        application.bot_data["dispatching"] = asyncio.create_task(
            dispatcher.run_forever(), name="outbox"
        )
        runner: BroadcastRunner = application.bot_data["broadcast_runner"]
        application.bot_data["broadcasting"] = asyncio.create_task(
            runner.run_forever(), name="broadcasts"
        )
    renderer: Renderer = application.bot_data["renderer"]
    for locale, language_code in (("zh-CN", None), ("en", "en")):
        commands = [
            BotCommand(name, renderer.text(Label(f"command.{name}"), locale))
            for name in RESIDENT_COMMANDS
        ]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    for name in ("housekeeping", "deadlines", "dispatching", "broadcasting"):
        task = application.bot_data.get(name)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    components: Components = application.bot_data["components"]
    await components.database.dispose()


def _limits(settings: Settings) -> Limits:
    return Limits(
        overall_per_second=settings.send_rate,
        private_per_second=settings.chat_rate,
        private_burst=settings.chat_burst,
        group_per_minute=settings.group_per_minute,
        max_attempts=settings.send_attempts,
    )


def _broadcast_runner(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
) -> BroadcastRunner:
    components: Components = application.bot_data["components"]
    dispatcher: Dispatcher = application.bot_data["dispatcher"]
    return BroadcastRunner(
        database=components.database,
        bot=application.bot,
        renderer=components.renderer,
        profile=components.profile,
        clock=components.clock,
        today=lambda: components.clock().astimezone(CHINA).date(),
        locale=settings.locale,
        wake=dispatcher.wake.set,
        batch=settings.broadcast_batch,
        rescreen_every=timedelta(hours=settings.rescreen_every_hours),
    )
