"""The ``yimen`` command: run the bot, migrate the database, check and draw flows."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.cli_broadcast import broadcast_app, rescreen_command
from bot.cli_database import settings_for
from bot.cli_keys import keys_app
from bot.cli_outbox import outbox_app
from bot.cli_resident import resident_app
from bot.cli_staff import staff_app
from bot.config import ConfigurationError, Settings, keyring_of
from storage.crypto import KeyProblem

app = typer.Typer(help="yimen (一门): the front door to social assistance.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
flows_app = typer.Typer(help="Conversation flows and the policy profile.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
app.add_typer(staff_app, name="staff")
app.add_typer(broadcast_app, name="broadcast")
app.command("rescreen")(rescreen_command)
app.add_typer(resident_app, name="resident")
app.add_typer(keys_app, name="keys")
app.add_typer(outbox_app, name="outbox")

F = TypeVar("F", bound=Callable[..., Any])

NO_TOKEN = """\
yimen: no bot token (YIMEN_BOT_TOKEN is not set).

To run on Telegram:
  1. In Telegram, talk to @BotFather, send /newbot and follow the steps;
  2. put the token it gives in the environment or in .env:  YIMEN_BOT_TOKEN=123456789:AA...
  3. put a secret key there too: it encrypts what residents tell the bot. Make one with
       python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'
     and set YIMEN_SECRET_KEY=<that key>. Keep it safe and apart from the database: without
     it nothing stored can be read;
  4. run `yimen run` again.

To try yimen on this machine with no token at all, use the local sandbox (`yimen sandbox`):
the real bot, a local stand-in for Telegram and a web page to chat with it as residents,
window staff, departments and an administrator.
"""


def _friendly(function: F) -> F:
    """Configuration problems (a wrong key too) end in one line and exit code 2, never a
    traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ConfigurationError, KeyProblem) as exc:
            typer.echo(f"yimen: bad configuration: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@_friendly
def run() -> None:
    """Run the bot with long polling (the database is migrated first)."""
    settings = settings_for("yimen")
    _configure_logging()
    if settings.bot_token is None:
        typer.echo(NO_TOKEN)
        typer.echo("No token, so starting the local sandbox now (`yimen sandbox --help`).\n")
        _run_sandbox(SandboxArguments())
        return
    from bot.app import build_application
    from storage.db import check_keys
    from storage.migrate import upgrade

    # Built first: a missing secret key or a broken profile stops us before the database is touched.
    application = build_application(settings)
    keyring = application.bot_data.app.casework.keyring
    upgrade(settings.database_url, keyring=keyring)
    # Keys that cannot read this database stop us here, not in every resident's next update.
    asyncio.run(check_keys(settings.database_url, keyring))
    _reach_telegram(settings)
    application.run_polling(allowed_updates=["message", "callback_query"])


def _reach_telegram(settings: Settings) -> None:
    """Wait (one line per try, with backoff) until Telegram answers, before polling."""
    from bot.connection import wait_until_reachable

    try:
        username = asyncio.run(
            wait_until_reachable(settings, lambda line: typer.echo(line, err=True))
        )
    except KeyboardInterrupt:
        typer.echo("yimen: stopped before Telegram could be reached", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"yimen: connected to Telegram as @{username}", err=True)


@dataclass(frozen=True)
class SandboxArguments:
    host: str = "127.0.0.1"
    port: int = 8080
    database: Path = Path("var/sandbox.db")
    demo: bool = False
    reset: bool = False


def _run_sandbox(arguments: SandboxArguments) -> None:
    from sandbox.run import SandboxOptions, main
    from sandbox.server import ListenError

    options = SandboxOptions(
        host=arguments.host,
        port=arguments.port,
        database=arguments.database,
        demo=arguments.demo,
        # The demo residents replay their conversations from the start: begin from a clean slate.
        reset=arguments.reset or arguments.demo,
    )
    try:
        main(options, typer.echo)
    except ListenError as exc:
        typer.echo(f"yimen sandbox: {exc}", err=True)
        typer.echo("Try another port, e.g. `yimen sandbox --port 8081`.", err=True)
        raise typer.Exit(1) from None


@app.command()
@_friendly
def sandbox(
    port: Annotated[int, typer.Option(help="Port of the web page and the local Bot API.")] = 8080,
    host: Annotated[str, typer.Option(help="Address to listen on (keep it local).")] = "127.0.0.1",
    database: Annotated[Path, typer.Option(help="The sandbox's own SQLite file.")] = Path(
        "var/sandbox.db"
    ),
    demo: Annotated[
        bool, typer.Option(help="Residents talk to the bot (implies --reset).")
    ] = False,
    reset: Annotated[bool, typer.Option(help="Delete the sandbox database first.")] = False,
) -> None:
    """Try yimen with no Telegram token: the real bot, a local Bot API and a web chat page."""
    _configure_logging()
    _run_sandbox(SandboxArguments(host, port, database, demo, reset))


@db_app.command("upgrade")
@_friendly
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from storage.migrate import upgrade

    settings = settings_for("yimen")
    # Rows already stored may need encrypting (migration 0004); an empty database needs no key.
    keyring = keyring_of(settings) if settings.secret_key is not None else None
    upgrade(settings.database_url, revision, keyring=keyring)
    typer.echo(f"database at {_safe_url(settings.database_url)} is at {revision}")


@db_app.command("retention")
@_friendly
def db_retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would go; change nothing.")
    ] = False,
) -> None:
    """Apply the retention periods now (the bot also does it every hour); counts per table."""
    from datetime import UTC, datetime

    from bot import maintenance
    from bot.cli_database import in_database
    from bot.policy import load_profile
    from storage.db import Database

    settings = settings_for("yimen")
    rules = maintenance.rules_from(settings, load_profile(settings.profile))

    def work(database: Database) -> Awaitable[dict[str, int]]:
        # Anonymising writes encrypted columns: the keys, checked against the database.
        return maintenance.prune(database, datetime.now(UTC), rules, dry_run=dry_run)

    report = in_database(settings, work, command="yimen db")
    verb = "would go" if dry_run else "done"
    width = max(len(name) for name in report)
    for name, count in report.items():
        typer.echo(f"{name:<{width}}  {count}")
    typer.echo(f"({verb}; counts only)")


@flows_app.command("check")
@_friendly
def flows_check() -> None:
    """Validate every flow, the policy profile and the templates; non-zero exit on a problem."""
    from bot.checks import check_everything

    problems = check_everything(settings_for("yimen"))
    for problem in problems:
        typer.echo(f"✗ {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("✓ flows, policy profile and templates are valid")


@flows_app.command("diagram")
@_friendly
def flows_diagram(name: str) -> None:
    """Print flow NAME as a Mermaid state diagram."""
    from bot.flows.diagram import mermaid
    from bot.flows.registry import FLOW_LOADERS

    loader = FLOW_LOADERS.get(name)
    if loader is None:
        typer.echo(f"yimen: no flow {name!r}; known: {', '.join(FLOW_LOADERS)}", err=True)
        raise typer.Exit(2)
    typer.echo(mermaid(loader()))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic lists its plugins at INFO on every start; that is noise to an operator.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from bot.connection import quiet_network_errors

    quiet_network_errors()


def main() -> None:
    try:
        app()
    except (ConfigurationError, KeyProblem) as exc:
        typer.echo(f"yimen: bad configuration: {exc}", err=True)
        sys.exit(2)
