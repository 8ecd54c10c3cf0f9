"""``yimen staff add|remove|list``: staff roles from the command line, audited as "cli".

Ids are checked against the policy profile before the database is touched; every mistake ends
in one line and exit code 2, as the rest of the ``yimen`` command does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from bot.casework import staffing
from bot.cli_database import cli_actor, fail, in_database, settings_for
from bot.config import Settings
from bot.policy import Profile, load_profile
from storage import staff
from storage.db import Database
from storage.models import StaffRole

staff_app = typer.Typer(
    help="Staff roles: window, department, administrator.", no_args_is_help=True
)

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail("yimen staff", message, code)


def _settings_and_profile() -> tuple[Settings, Profile]:
    settings = settings_for("yimen staff")
    return settings, load_profile(settings.profile)


def _in_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    # Staff roles are not encrypted, their audit details are: listing needs no key.
    return in_database(settings, work, command="yimen staff", keys_needed=False)


@staff_app.command("add")
def add(
    user_id: Annotated[str, typer.Argument(help="The person's Telegram user id.")],
    role: Annotated[str, typer.Option(help="window, department or admin.")],
    town: Annotated[
        str | None, typer.Option(help="Window staff: a town id of the profile (default: all).")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="Department staff: a department id of the profile.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name to show in lists.")] = None,
) -> None:
    """Give USER_ID a staff role."""
    settings, profile = _settings_and_profile()
    try:
        request = staffing.validated(
            profile,
            staffing.RoleRequest(
                staffing.parse_user_id(user_id),
                staffing.parse_role(role),
                town_id=town,
                department_id=department,
                display_name=name.strip()[:64] if name else None,
            ),
        )
    except staffing.StaffingError as exc:
        raise _fail(str(exc)) from None

    async def work(database: Database) -> None:
        async with database.transaction() as session:
            await staffing.grant(
                session,
                profile,
                request,
                actor_id=None,
                actor=cli_actor(),
                now=datetime.now(UTC),
            )

    _in_database(settings, work)
    scope = request.town_id or request.department_id or ("all towns" if role == "window" else "")
    typer.echo(
        f"added {request.telegram_user_id} as {request.role}{f' ({scope})' if scope else ''}"
    )


@staff_app.command("remove")
def remove(
    user_id: Annotated[str, typer.Argument(help="The person's Telegram user id.")],
    role: Annotated[str | None, typer.Option(help="Remove only this role.")] = None,
) -> None:
    """Take USER_ID's staff roles away (all of them, or --role)."""
    settings, _profile = _settings_and_profile()
    try:
        target = staffing.parse_user_id(user_id)
        only: StaffRole | None = staffing.parse_role(role) if role is not None else None
    except staffing.StaffingError as exc:
        raise _fail(str(exc)) from None

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            return await staffing.withdraw(
                session,
                telegram_user_id=target,
                role=only,
                actor_id=None,
                actor=cli_actor(),
                now=datetime.now(UTC),
            )

    removed = _in_database(settings, work)
    if removed == 0:
        raise _fail(f"{target} holds no {only or 'staff'} role", 1)
    typer.echo(f"removed {removed} role{'s' if removed > 1 else ''} of {target}")


@staff_app.command("list")
def list_staff() -> None:
    """Every role held, and the administrators named in YIMEN_ADMIN_IDS."""
    settings, _profile = _settings_and_profile()

    async def work(database: Database) -> list[str]:
        async with database.transaction() as session:
            return staffing.describe(await staff.everyone(session), settings.admin_ids)

    lines = _in_database(settings, work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no staff yet; add someone with: yimen staff add USER_ID --role window")
