"""``yimen outbox failed|retry``: messages that could not be delivered, for an administrator.

The list shows what is needed to act (which chat, why, when) and never the message's text,
which is personal. A retry is audited as "cli", like ``yimen staff``; the running bot picks the
row up within half a minute (its dispatcher looks at the outbox at least that often).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer

from bot.cli_database import cli_actor, fail, in_database, settings_for
from bot.delivery.dispatcher import BLOCKED
from bot.policy.base import CHINA
from storage import outbox, staff
from storage.db import Database
from storage.outbox import FailedRow

outbox_app = typer.Typer(help="Messages that could not be delivered.", no_args_is_help=True)

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail("yimen outbox", message, code)


def _in_database(work: Callable[[Database], Awaitable[T]]) -> T:
    # The audit row of a retry is encrypted: the keys, checked against the database.
    return in_database(settings_for("yimen outbox"), work, command="yimen outbox")


def _when(moment: datetime) -> str:
    """China time, as staff read it."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _line(row: FailedRow) -> str:
    error = (row.error or "").replace("\n", " ")
    return (
        f"{row.id:>8}  {row.purpose:<12} {row.chat_id:>16}  {row.attempts:>3}  "
        f"{_when(row.at)}  {error[:80]}"
    )


@outbox_app.command("failed")
def failed(
    since: Annotated[
        float, typer.Option("--since", min=0, help="Failed within this many days.")
    ] = 7,
    broadcasts: Annotated[
        bool,
        typer.Option("--broadcasts", help="Also broadcast notices (mostly blocked residents)."),
    ] = False,
) -> None:
    """Messages that finally failed: id, purpose, chat id, attempts, time (China), error."""
    cutoff = datetime.now(UTC) - timedelta(days=since)

    async def work(database: Database) -> list[FailedRow]:
        async with database.transaction() as session:
            return await outbox.failed_since(session, since=cutoff, broadcasts=broadcasts)

    rows = _in_database(work)
    if not rows:
        typer.echo(f"no failed messages in the last {since:g} days")
        return
    typer.echo(f"{'id':>8}  {'purpose':<12} {'chat id':>16}  {'try':>3}  {'last try':<16}  error")
    for row in rows:
        typer.echo(_line(row))
    typer.echo(f"{len(rows)} failed; send one again with `yimen outbox retry ID`")


@outbox_app.command("retry")
def retry(
    message_id: Annotated[int, typer.Argument(help="The id shown by `yimen outbox failed`.")],
) -> None:
    """Send one failed message again (the running bot sends it within half a minute)."""

    async def work(database: Database) -> FailedRow | str:
        async with database.transaction() as session:
            try:
                row = await outbox.retry_failed(
                    session, message_id=message_id, now=datetime.now(UTC)
                )
            except (LookupError, ValueError) as exc:
                return str(exc)
            staff.audit(
                session,
                actor_id=None,
                action="outbox.retry",
                subject=f"outbox:{message_id}",
                outcome="allowed",
                detail={"via": "cli", "actor": cli_actor(), "purpose": row.purpose},
                at=datetime.now(UTC),
            )
            return row

    result = _in_database(work)
    if isinstance(result, str):
        raise _fail(result, 1)
    typer.echo(f"message {message_id} ({result.purpose}) will be sent again")
    if (result.error or "").startswith(BLOCKED):
        typer.echo(
            "note: this chat had blocked the bot or left it; the message fails again unless "
            "the bot was unblocked (or added back to the group)"
        )
