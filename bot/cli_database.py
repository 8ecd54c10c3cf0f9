"""The database as a command of ``yimen`` opens it: with the operator's keys, one line on failure,
and who ran the command, for the audit rows it writes.

Every command that reads or writes rows (staff, broadcast, outbox, keys, resident, db
retention) goes through :func:`in_database`, so a missing or wrong key and a database that was
never migrated end the same way everywhere: one line naming the problem, never a traceback.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.exc import OperationalError

from bot.config import ConfigurationError, Settings, keyring_of, load_settings
from storage.crypto import KeyProblem
from storage.db import Database

T = TypeVar("T")
NOT_MIGRATED = "the database is not ready; run `yimen db upgrade` first"


def in_database(
    settings: Settings,
    work: Callable[[Database], Awaitable[T]],
    *,
    command: str,
    keys_needed: bool = True,
) -> T:
    """Run ``work`` on the configured database, opened with the configured keys (checked
    against the database's key check first). ``keys_needed=False`` lets a command that reads
    no encrypted column run without them. Problems exit with one line, prefixed ``command``."""

    async def run() -> T:
        keyring = keyring_of(settings) if keys_needed or settings.secret_key else None
        database = Database(settings.database_url, keyring=keyring)
        try:
            await database.unlock()
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except (ConfigurationError, KeyProblem) as exc:
        raise fail(command, f"bad configuration: {exc}") from None
    except OperationalError:
        raise fail(command, NOT_MIGRATED, 1) from None


def settings_for(command: str) -> Settings:
    """The operator's settings; a bad one ends ``command`` with one line naming it."""
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise fail(command, f"bad configuration: {exc}") from None


def fail(command: str, message: str, code: int = 2) -> typer.Exit:
    """Say what went wrong on standard error; the caller raises the returned exit."""
    typer.echo(f"{command}: {message}", err=True)
    return typer.Exit(code)


def cli_actor() -> str:
    """Who ran the command, as far as this machine knows: kept in the audit row."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
