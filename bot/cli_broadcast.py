"""`yimen broadcast …` and `yimen rescreen`: policy notices from the command line.

The command writes the broadcast; the running bot (its broadcast loop and outbox dispatcher)
sends it, within Telegram's limits, and `yimen broadcast status` shows how far it got. Only
administrators (YIMEN_ADMIN_IDS, or an admin role) may use it, and every use is audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_database import fail, in_database, settings_for
from bot.config import Settings
from bot.flows.model import Label
from bot.notices import audience as audiences
from bot.notices import broadcasts, rescreen
from bot.notices.audience import AudienceError
from bot.notices.composer import parse_time
from bot.notices.lifecycle import BroadcastError, Move, allowed
from bot.policy import load_profile
from bot.policy.base import CHINA
from bot.render import Renderer
from storage import staff
from storage.db import Database
from storage.models import Broadcast, StaffRole

broadcast_app = typer.Typer(help="Policy notices to many residents.", no_args_is_help=True)
T = TypeVar("T")
REFUSED = "only administrators can do that (this attempt is recorded)"
NOT_FOUND = "no such broadcast"
Admin = Annotated[int, typer.Option("--admin", help="Your Telegram user id (an administrator).")]


COMMAND = "yimen broadcast"


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    return in_database(settings, work, command=COMMAND)


def _fail(message: str) -> typer.Exit:
    return fail(COMMAND, message)


async def _authorised(
    session: AsyncSession, settings: Settings, admin: int, action: str, subject: str | None
) -> bool:
    roles = await staff.roles_of(session, telegram_user_id=admin)
    allowed = admin not in staff.NEVER_STAFF and (
        admin in settings.admin_ids or any(r.role == StaffRole.ADMIN for r in roles)
    )
    staff.audit(
        session,
        actor_id=admin,
        action=action,
        subject=subject,
        outcome="allowed" if allowed else "refused",
        detail={"via": "cli"} if allowed else {"via": "cli", "reason": "not an administrator"},
        at=datetime.now(UTC),
    )
    return allowed


def _message(renderer: Renderer, locale: str, exc: BroadcastError) -> str:
    return renderer.text(Label.of(f"broadcast.error.{exc.key}", **exc.params), locale)


@broadcast_app.command("send")
def send(
    admin: Admin,
    text: Annotated[str | None, typer.Option(help="The notice (plain text).")] = None,
    text_file: Annotated[Path | None, typer.Option(help="Read the notice from a file.")] = None,
    photo: Annotated[Path | None, typer.Option(help="A JPG, PNG, GIF or WebP image.")] = None,
    audience: Annotated[
        str, typer.Option(help="all, or e.g. 'town=白沙 topic=older fact=over_60 exclude_days=7'")
    ] = "all",
    at: Annotated[
        str | None, typer.Option(help="Send later: China time, '2026-03-05 09:00'.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Compose, check and start (or schedule) a broadcast; the running bot sends it."""
    settings = settings_for(COMMAND)
    renderer = Renderer()
    locale = settings.locale
    footer = renderer.text(Label("notices.footer"), locale)
    body = text if text is not None else text_file.read_text("utf-8") if text_file else ""
    image = photo.read_bytes() if photo is not None else None
    try:
        if image is not None and not broadcasts.is_image(image):
            raise BroadcastError("not_image")
        broadcasts.check_text(body, footer=footer, with_photo=image is not None)
        chosen = audiences.parse(audience, load_profile(settings.profile))
        when = _time(at)
        broadcasts.check_schedule(when, datetime.now(UTC))
    except BroadcastError as exc:
        raise _fail(_message(renderer, locale, exc)) from None
    except AudienceError as exc:
        problem = BroadcastError(f"audience_{exc.key}", **exc.params)
        raise _fail(_message(renderer, locale, problem)) from None

    async def compose(database: Database) -> tuple[int, int] | str:
        async with database.transaction() as session:
            if not await _authorised(session, settings, admin, "broadcast.open", None):
                return "only administrators can broadcast (this attempt is recorded)"
            now = datetime.now(UTC)
            try:
                count = await broadcasts.count(session, chosen, now)
                if count == 0:
                    raise BroadcastError("nobody")
                draft = await broadcasts.draft_for(session, admin_id=admin, now=now, fresh=True)
            except BroadcastError as exc:
                return _message(renderer, locale, exc)
            draft.text = body.strip()
            draft.body_html = broadcasts.body_html(body, footer)
            draft.audience = chosen.to_json()
            draft.recipients = count
            await session.flush()
            return draft.id, count

    composed = _run(settings, compose)
    if isinstance(composed, str):
        raise _fail(composed)
    broadcast_id, count = composed
    typer.echo(f"Broadcast #{broadcast_id} to {count:,} residents ({chosen.describe()}):\n")
    typer.echo(body.strip() + f"\n\n{footer}\n")
    if not yes and not typer.confirm("Send it?"):
        _run(settings, lambda database: _discard(database, broadcast_id))
        typer.echo("Discarded; nothing was sent.")
        raise typer.Exit(1)
    if image is not None:
        file_id = asyncio.run(_upload(settings, admin, image, broadcasts.body_html(body, footer)))
        _run(settings, lambda database: _set_photo(database, broadcast_id, file_id))

    async def confirm(database: Database) -> int | str:
        async with database.transaction() as session:
            draft = await session.get(Broadcast, broadcast_id)
            assert draft is not None
            try:
                recipients = await broadcasts.start(session, draft, now=datetime.now(UTC), at=when)
            except BroadcastError as exc:
                return _message(renderer, locale, exc)
            staff.audit(
                session,
                actor_id=admin,
                action="broadcast.confirmed",
                subject=f"broadcast:{broadcast_id}",
                outcome="allowed",
                detail={
                    "via": "cli",
                    "audience": draft.audience,
                    "recipients": recipients,
                    "scheduled_for": when.isoformat() if when else None,
                    "photo": image is not None,
                },
                at=datetime.now(UTC),
            )
            return recipients

    started = _run(settings, confirm)
    if isinstance(started, str):
        _run(settings, lambda database: _discard(database, broadcast_id))
        raise _fail(started)
    later = f" at {at} (China time)" if when else ""
    typer.echo(f"Broadcast #{broadcast_id} confirmed for {started:,} residents{later}.")
    typer.echo(f"The running bot sends it; follow it with `yimen broadcast status {broadcast_id}`.")


def _time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


async def _discard(database: Database, broadcast_id: int) -> None:
    async with database.transaction() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is not None and allowed(draft.status, Move.DISCARD):
            broadcasts.discard(draft, now=datetime.now(UTC))


async def _set_photo(database: Database, broadcast_id: int, file_id: str) -> None:
    async with database.transaction() as session:
        draft = await session.get(Broadcast, broadcast_id)
        assert draft is not None
        draft.photo_file_id = file_id


async def _upload(settings: Settings, admin: int, image: bytes, caption: str) -> str:
    """Send the picture to the administrator (the test message); Telegram's file id is then
    what every recipient row refers to, so the image is uploaded once."""
    from bot.connection import bot_for

    if settings.bot_token is None:
        raise _fail("a photo needs YIMEN_BOT_TOKEN (it is uploaded to Telegram once)")
    async with bot_for(settings) as bot:
        message = await bot.send_photo(admin, image, caption=caption, parse_mode="HTML")
    return message.photo[-1].file_id


@broadcast_app.command("status")
def status(admin: Admin, broadcast_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """How a broadcast stands (the latest when no id is given): sent, blocked, failed…"""
    settings = settings_for(COMMAND)

    async def look(database: Database) -> str:
        async with database.transaction() as session:
            if not await _authorised(session, settings, admin, "broadcast.status", None):
                return REFUSED
            # Drafts and discarded drafts never started: not broadcasts to report on.
            query = select(Broadcast).where(
                Broadcast.started_at.is_not(None) | Broadcast.scheduled_for.is_not(None)
            )
            if broadcast_id is not None:
                query = query.where(Broadcast.id == broadcast_id)
            found = await session.scalar(query.order_by(Broadcast.id.desc()).limit(1))
            if found is None:
                return NOT_FOUND
            p = await broadcasts.progress(session, found, now=datetime.now(UTC))
            eta = f", about {p.eta_seconds / 60:.0f} min left" if p.eta_seconds else ""
            return (
                f"#{p.broadcast_id} {p.status}: {p.recipients:,} recipients; sent {p.sent:,}, "
                f"blocked {p.blocked:,}, failed {p.failed:,}, unknown {p.unknown:,}, "
                f"cancelled {p.cancelled:,}, remaining {p.remaining:,}; {p.rate:.1f}/s{eta}"
            )

    report = _run(settings, look)
    if report in (REFUSED, NOT_FOUND):
        raise _fail(report)
    typer.echo(report)


def _control(action: str) -> Callable[[int, int], None]:
    def command(admin: Admin, broadcast_id: Annotated[int, typer.Argument()]) -> None:
        settings = settings_for(COMMAND)

        async def act(database: Database) -> str:
            async with database.transaction() as session:
                subject = f"broadcast:{broadcast_id}"
                if not await _authorised(session, settings, admin, f"broadcast.{action}", subject):
                    return REFUSED
                found = await session.get(Broadcast, broadcast_id)
                if found is None:
                    return NOT_FOUND
                try:
                    await broadcasts.control(session, found, action, now=datetime.now(UTC))
                except BroadcastError:
                    return f"broadcast #{broadcast_id} is {found.status}: cannot {action} it"
                return ""

        problem = _run(settings, act)
        if problem:
            raise _fail(problem)
        typer.echo(f"broadcast #{broadcast_id}: {action} done")

    command.__doc__ = f"{action.capitalize()} a broadcast."
    return command


for _action in ("pause", "resume", "cancel"):
    broadcast_app.command(_action)(_control(_action))


def rescreen_command() -> None:
    """Re-evaluate screenings under the standards in force today and tell residents who may
    now qualify ("the policy finds the person").

    Takes the latest screening of every resident who agreed to policy notices, evaluates it
    under today's standards, and queues a notice for each resident whose verdict improved (for
    example "unlikely" to "possible" after a new dibao line), with a button to apply. Each
    resident hears about one standards version once, so running it again sends nothing new.
    The running bot delivers the notices; it also does this by itself every
    YIMEN_RESCREEN_EVERY_HOURS.
    """
    settings = settings_for(COMMAND)

    profile = load_profile(settings.profile)
    renderer = Renderer(extra_globals={"profile": profile})
    now = datetime.now(UTC)
    result = _run(
        settings,
        lambda database: rescreen.run(
            database,
            profile,
            renderer,
            today=now.astimezone(CHINA).date(),
            now=now,
            bot=None,
        ),
    )
    typer.echo(
        f"standards {result.standards_version}: {result.checked:,} screenings re-evaluated, "
        f"{result.notified:,} residents to be told (the running bot sends the notices)"
    )
