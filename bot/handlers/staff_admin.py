"""Administrators manage staff in a private chat: /staff_add, /staff_remove, /staff_list.

Anyone else is refused, and the refusal is audited like every staff action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.app_context import AppContext, Context
from bot.casework import staffing
from bot.casework.authorization import authorise
from bot.flows.model import Screen
from storage import staff, updates
from storage.models import StaffRole

Handler = BaseHandler[Update, Context, None]
# (session, app, the administrator's id, the command's words, YIMEN_ADMIN_IDS)
Command = Callable[[AsyncSession, AppContext, int, list[str], tuple[int, ...]], Awaitable[Screen]]


def staff_admin_handlers(admin_ids: Sequence[int]) -> list[Handler]:
    """Register before the resident catch-all; ``admin_ids`` come from YIMEN_ADMIN_IDS."""
    ids = tuple(admin_ids)
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(name, _guarded(name, command, ids), filters=private)
        for name, command in _COMMANDS.items()
    ]


def _guarded(
    name: str, command: Command, admin_ids: tuple[int, ...]
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: Context) -> None:
        """Check the administrator (audited), then run the command in the same transaction."""
        app, user, chat = AppContext.of(context), update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        args = list(context.args or [])
        async with app.database.transaction() as session:
            if not await updates.claim(session, update_id=update.update_id):
                return
            _resident, locale = await app.known_resident_and_locale(session, user)
            decision = await authorise(
                session,
                app.casework,
                user_id=user.id,
                chat_id=chat.id,
                role=StaffRole.ADMIN,
                action=f"admin.{name}",
                subject=" ".join(args)[:64] or None,
                admin_ids=admin_ids,
            )
            if not decision.allowed:
                screen = Screen("staff_admin/refused.html")
            else:
                try:
                    screen = await command(session, app, user.id, args, admin_ids)
                except staffing.StaffingError as exc:
                    screen = Screen(
                        "staff_admin/error.html",
                        {"code": exc.code, "params": exc.params, "command": name},
                    )
        await app.messenger.send(chat.id, app.casework.renderer.render(screen, locale))

    return handle


async def _add(
    session: AsyncSession, app: AppContext, actor: int, args: list[str], _: tuple[int, ...]
) -> Screen:
    """/staff_add USER_ID ROLE [TOWN|DEPARTMENT]"""
    if len(args) not in (2, 3):
        return Screen("staff_admin/usage.html")
    user_id = staffing.parse_user_id(args[0])
    role = staffing.parse_role(args[1])
    scope = staffing.scope_of(app.casework.profile, role, args[2] if len(args) == 3 else None)
    request = staffing.RoleRequest(user_id, role, scope.town_id, scope.department_id)
    await staffing.grant(
        session,
        app.casework.profile,
        request,
        actor_id=actor,
        actor="bot",
        now=app.casework.clock(),
    )
    return Screen(
        "staff_admin/added.html",
        {"user_id": user_id, "role": str(role), "scope": scope.town_id or scope.department_id},
    )


async def _remove(
    session: AsyncSession, app: AppContext, actor: int, args: list[str], _: tuple[int, ...]
) -> Screen:
    """/staff_remove USER_ID [ROLE]"""
    if len(args) not in (1, 2):
        return Screen("staff_admin/usage.html")
    user_id = staffing.parse_user_id(args[0])
    role = staffing.parse_role(args[1]) if len(args) == 2 else None
    removed = await staffing.withdraw(
        session,
        telegram_user_id=user_id,
        role=role,
        actor_id=actor,
        actor="bot",
        now=app.casework.clock(),
    )
    return Screen("staff_admin/removed.html", {"user_id": user_id, "removed": removed})


async def _list(
    session: AsyncSession, app: AppContext, actor: int, args: list[str], admins: tuple[int, ...]
) -> Screen:
    """/staff_list"""
    members = await staff.everyone(session)
    return Screen(
        "staff_admin/list.html", {"members": list(members), "configured_admins": list(admins)}
    )


_COMMANDS: dict[str, Command] = {"staff_add": _add, "staff_remove": _remove, "staff_list": _list}
COMMANDS = tuple(_COMMANDS)
