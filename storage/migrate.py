"""Alembic, driven from code: no alembic.ini to lose, the database URL comes from settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

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
    command.upgrade(alembic_config(url, keyring), revision)


async def upgrade_async(
    url: str, revision: str = "head", *, keyring: Keyring | None = None
) -> None:
    # env.py runs its own event loop, so it must not run on the caller's.
    await asyncio.to_thread(upgrade, url, revision, keyring=keyring)
