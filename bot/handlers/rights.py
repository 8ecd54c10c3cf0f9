"""/mydata and /forget (r|…): a resident sees everything we hold, or takes it back.

Each reads or changes rows in one transaction and is audited there (counts only); what the
resident receives is rendered inside it and sent by the delivery layer after the commit.
"""

from __future__ import annotations

import json
from datetime import datetime

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.app_context import AppContext, Context
from bot.callbacks import RightsPress
from bot.casework import rights
from bot.flows.model import Button, Label, Screen
from bot.policy.base import CHINA
from bot.render import RenderedScreen

# The actions of a RightsPress.
FORGET, KEEP = "forget", "keep"
# A confirmation older than this is asked again: an old button must not erase data the
# resident gave after it was shown.
CONFIRM_WITHIN_MINUTES = 60


def rights_handlers() -> list[BaseHandler[Update, Context, None]]:
    """Register before the resident catch-all so /mydata, /forget and r|… never reach a flow."""
    return [
        CommandHandler("mydata", on_mydata, filters=filters.ChatType.PRIVATE),
        CommandHandler("forget", on_forget, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_forget_button, pattern=RightsPress.matches),
    ]


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def confirm_screen(now: datetime) -> Screen:
    stamp = _minute(now)
    return Screen(
        "rights/forget_confirm.html",
        {},
        (
            (Button(Label.of("rights.forget_yes"), RightsPress(FORGET, str(stamp)).encode()),),
            (Button(Label.of("rights.forget_no"), RightsPress(KEEP).encode()),),
        ),
    )


async def on_mydata(update: Update, context: Context) -> None:
    """Send a readable summary and a JSON file of everything stored about the resident."""
    app, user, chat = AppContext.of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    renderer, now = app.casework.renderer, app.casework.clock()
    content: bytes | None = None
    async with app.database.transaction() as session:
        resident, locale = await app.known_resident_and_locale(session, user)
        if resident is None:
            rights.audit(
                session, action="rights.export", resident_id=None, counts={}, channel="bot", at=now
            )
            summary = renderer.render(Screen("rights/nothing.html", {}), locale)
        else:
            found = await rights.export(session, app.casework, resident, channel="bot", now=now)
            summary = renderer.render(
                Screen(
                    "rights/mydata.html",
                    {
                        "counts": found.counts,
                        "applications": [
                            (a["number"], a["status"]) for a in found.data["applications"]
                        ],
                    },
                ),
                locale,
            )
            content = json.dumps(found.data, ensure_ascii=False, indent=2).encode()
    await app.messenger.send(chat.id, summary)
    if content is not None:
        day = now.astimezone(CHINA).date().isoformat()
        await app.messenger.send_document(
            chat.id,
            content,
            filename=f"yimen-mydata-{day}.json",
            caption=renderer.text(Label.of("rights.file_caption"), locale),
        )


async def on_forget(update: Update, context: Context) -> None:
    """Ask for confirmation before anything is deleted; stores nothing."""
    app, user, chat = AppContext.of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with app.database.transaction() as session:
        _resident, locale = await app.known_resident_and_locale(session, user)
    screen = app.casework.renderer.render(confirm_screen(app.casework.clock()), locale)
    await app.messenger.send(chat.id, screen)


async def on_forget_button(update: Update, context: Context) -> None:
    """Withdraw consent and delete (r|forget|minute), or leave everything as it is (r|keep)."""
    app, query, user = AppContext.of(context), update.callback_query, update.effective_user
    press = RightsPress.decode(query.data) if query is not None else None
    if query is None or user is None or query.message is None or press is None:
        return
    chat_id, message_id = query.message.chat.id, query.message.message_id
    renderer, now = app.casework.renderer, app.casework.clock()
    action, stamp = press.action, press.stamp
    async with app.database.transaction() as session:
        resident, locale = await app.known_resident_and_locale(session, user)
        screen: RenderedScreen
        if action != FORGET:
            screen = renderer.render(Screen("rights/forget_cancelled.html", {}), locale)
        elif not stamp.isdigit() or not 0 <= _minute(now) - int(stamp) <= CONFIRM_WITHIN_MINUTES:
            screen = renderer.render(confirm_screen(now), locale)
        elif resident is None:
            screen = renderer.render(Screen("rights/nothing.html", {}), locale)
        else:
            result = await rights.forget(session, app.casework, resident, channel="bot", now=now)
            screen = renderer.render(forgotten_screen(result), locale)
    await app.messenger.answer(query)
    await app.messenger.show(chat_id, screen, edit=message_id)


def forgotten_screen(result: rights.Forgetting) -> Screen:
    return Screen(
        "rights/forgotten.html",
        {
            "kept": [
                (k.number, k.status, k.until.isoformat() if k.until else None) for k in result.kept
            ],
            "years": result.archive_years,
        },
    )
