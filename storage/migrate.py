"""Alembic, driven from code: no alembic.ini to lose, the database URL comes from settings."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from storage.crypto import Keyring

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, keyring: Keyring | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    # Migrations that encrypt rows already stored need the operator's keys (never in a file).
    config.attributes["keyring"] = keyring
    return config


def upgrade(url: str, revision: str = "head", *, keyring: Keyring | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (creating it if needed)."""
    config = alembic_config(url, keyring)
    command.upgrade(config, revision)
    if config.attributes.get("vacuum"):
        _vacuum(url)


def _vacuum(url: str) -> None:
    """After rows were encrypted in place: SQLite keeps the old plain pages in its free list
    and its WAL until they are reused, so rewrite the file and empty the WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    connection = sqlite3.connect(parsed.database, isolation_level=None)
    try:
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def upgrade_async(
    url: str, revision: str = "head", *, keyring: Keyring | None = None
) -> None:
    # env.py runs its own event loop, so it must not run on the caller's.
    await asyncio.to_thread(upgrade, url, revision, keyring=keyring)
