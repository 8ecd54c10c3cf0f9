"""``yimen resident export|forget``: a resident's data requests made in person at the window.

The person is found by Telegram id or by the ID number they applied with (through the keyed
digest, never by decrypting). Both are audited like the bot's /mydata and /forget: the action,
the internal resident id and counts, with "cli" as the channel — no personal data.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import rights
from bot.casework.services import Casework
from bot.cli_database import NOT_MIGRATED, fail
from bot.config import ConfigurationError, load_settings
from storage import residents
from storage.crypto import KeyProblem
from storage.models import Resident

if TYPE_CHECKING:
    from bot.app_context import Components

T = TypeVar("T")

resident_app = typer.Typer(
    help="A resident's requests made at the town window: export or delete their data.",
    no_args_is_help=True,
)

TelegramId = Annotated[int | None, typer.Option("--telegram-id", help="Their Telegram user id.")]
IdNumber = Annotated[
    str | None, typer.Option("--id-number", help="The ID number they applied for themselves with.")
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail("yimen resident", message, code)


async def _residents(
    session: AsyncSession, casework: Casework, telegram_id: int | None, id_number: str | None
) -> list[Resident]:
    if telegram_id is not None:
        found = await residents.find(session, telegram_user_id=telegram_id)
        return [found] if found is not None else []
    assert id_number is not None
    return await rights.find_by_id_number(session, casework, id_number=id_number)


def _casework_and_run(work: Callable[[Components], Awaitable[T]]) -> T:
    """Build the bot's parts (the same keys and profile as the running bot) and run ``work``."""
    from bot.app import build_components

    try:
        components = build_components(load_settings(), clock=lambda: datetime.now(UTC))
    except ConfigurationError as exc:
        raise _fail(f"bad configuration: {exc}") from None

    async def run() -> T:
        try:
            await components.database.unlock()  # keys that cannot read it: refused first
            return await work(components)
        finally:
            await components.database.dispose()

    try:
        return asyncio.run(run())
    except KeyProblem as exc:
        raise _fail(f"bad configuration: {exc}") from None
    except OperationalError:
        raise _fail(NOT_MIGRATED, 1) from None


def _for_each_found(
    telegram_id: int | None,
    id_number: str | None,
    act: Callable[[AsyncSession, Casework, Resident, datetime], Awaitable[T]],
) -> list[T]:
    """``act`` on every resident the options name, all in one transaction; exits when none."""

    async def work(components: Components) -> list[T]:
        casework = components.casework
        async with components.database.transaction() as session:
            found = await _residents(session, casework, telegram_id, id_number)
            now = casework.clock()
            return [await act(session, casework, resident, now) for resident in found]

    results = _casework_and_run(work)
    if not results:
        raise _not_found(telegram_id)
    return results


def _not_found(telegram_id: int | None) -> typer.Exit:
    if telegram_id is not None:
        return _fail("no resident with that Telegram id; nothing is stored about it", 1)
    return _fail(
        "nobody applied for themselves with that ID number; an application someone else made "
        "for this person belongs to that applicant's file (ask for it with their Telegram id)",
        1,
    )


def _one_way(telegram_id: int | None, id_number: str | None) -> None:
    if (telegram_id is None) == (id_number is None):
        raise _fail("give exactly one of --telegram-id or --id-number")


@resident_app.command("export")
def export(
    telegram_id: TelegramId = None,
    id_number: IdNumber = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default: print it).")
    ] = None,
) -> None:
    """Everything stored about the resident, decrypted, as JSON (their right of access)."""
    _one_way(telegram_id, id_number)

    async def one(
        session: AsyncSession, casework: Casework, resident: Resident, now: datetime
    ) -> dict[str, Any]:
        result = await rights.export(session, casework, resident, channel="cli", now=now)
        return result.data

    exports = _for_each_found(telegram_id, id_number, one)
    text = json.dumps(exports[0] if len(exports) == 1 else exports, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    out.chmod(0o600)  # it holds personal data: readable by its owner only
    typer.echo(f"wrote {out} ({len(exports)} resident{'s' if len(exports) > 1 else ''})")


@resident_app.command("forget")
def forget(
    telegram_id: TelegramId = None,
    id_number: IdNumber = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the resident asked for this at the window.")
    ] = False,
) -> None:
    """Withdraw the resident's consent and delete what the law does not oblige us to keep."""
    _one_way(telegram_id, id_number)
    if not yes:
        raise _fail("this deletes a resident's data; add --yes once they have confirmed")

    results = _for_each_found(
        telegram_id,
        id_number,
        lambda session, casework, resident, now: rights.forget(
            session, casework, resident, channel="cli", now=now
        ),
    )
    for result in results:
        removed = ", ".join(f"{k} {v}" for k, v in result.removed.items() if v) or "nothing"
        typer.echo(f"resident {result.resident_id}: consent withdrawn; removed: {removed}")
        for kept in result.kept:
            until = (
                f"until {kept.until.isoformat()}"
                if kept.until
                else f"while under review, then {result.archive_years} years after it closes"
            )
            typer.echo(f"  kept by law: {kept.number} ({kept.status}) {until}")
