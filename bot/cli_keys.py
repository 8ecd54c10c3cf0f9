"""``yimen keys``: re-encrypt under the newest key, and see which keys still protect data.

Rotation, as README says: put the new key in front of YIMEN_SECRET_KEY (``new,old``), restart,
run ``yimen keys rotate``, check with ``yimen keys check`` that nothing is left under the old
key, then remove the old key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from bot.cli_database import fail, in_database, settings_for
from storage.crypto import Keyring
from storage.db import Database
from storage.keys import DEFAULT_BATCH, census, rotate

keys_app = typer.Typer(help="Encryption keys (YIMEN_SECRET_KEY).", no_args_is_help=True)

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail("yimen keys", message, code)


def _with_keys(work: Callable[[Database, Keyring], Awaitable[T]]) -> T:
    """Run ``work`` on the database once the configured keys have opened its key check."""
    settings = settings_for("yimen keys")

    def with_its_keyring(database: Database) -> Awaitable[T]:
        assert database.keyring is not None  # opened with the keys, and unlocked
        return work(database, database.keyring)

    return in_database(settings, with_its_keyring, command="yimen keys")


@keys_app.command("rotate")
def rotate_command(
    batch: Annotated[
        int, typer.Option(min=1, max=10_000, help="Rows re-encrypted per transaction.")
    ] = DEFAULT_BATCH,
) -> None:
    """Encrypt every stored value again under the first key; safe to stop and run again."""

    def report(column: str, done: int, left: int) -> None:
        if left:
            typer.echo(f"{column}: {done}/{left}")

    async def work(database: Database, keyring: Keyring) -> tuple[int, str]:
        typer.echo(f"re-encrypting under key {keyring.key_id}")
        return await rotate(database, keyring, batch=batch, progress=report), keyring.key_id

    total, kid = _with_keys(work)
    typer.echo(f"done: {total} values re-encrypted; every value is under key {kid}")


@keys_app.command("check")
def check_command() -> None:
    """How many stored values each key protects; non-zero exit if a key is not configured."""

    async def work(database: Database, keyring: Keyring) -> tuple[list[str], set[str]]:
        counts = await census(database)
        lines: list[str] = []
        unknown: set[str] = set()
        per_key: dict[str, int] = defaultdict(int)
        for count in counts:
            known = count.key_id in keyring.key_ids
            if not known:
                unknown.add(count.key_id)
            per_key[count.key_id] += count.values
            mark = "" if known else "  (not configured)"
            lines.append(f"{count.column:<40} {count.key_id:<10} {count.values:>9}{mark}")
        lines.append("")
        for kid in keyring.key_ids:
            values = per_key.pop(kid, 0)
            if kid == keyring.key_id:
                lines.append(f"key {kid} (first, encrypts): {values} values")
            elif values:
                lines.append(f"key {kid}: {values} values (run `yimen keys rotate`)")
            else:
                lines.append(f"key {kid}: 0 values (it can be removed from YIMEN_SECRET_KEY)")
        for kid, values in sorted(per_key.items()):
            lines.append(f"key {kid} (not configured): {values} values")
        return lines, unknown

    lines, unknown = _with_keys(work)
    for line in lines:
        typer.echo(line)
    if unknown:
        raise _fail(
            f"values under key ids not in YIMEN_SECRET_KEY: {', '.join(sorted(unknown))}", 1
        )
