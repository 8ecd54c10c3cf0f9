"""A hostile resident (floods, huge texts, control characters, markup, forged buttons) and
careless staff (commands typed in groups, updates delivered twice): clear, kind answers, staff
chats stay usable, and nobody sees anyone else's data."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from bot.casework.relay import split_for_telegram
from bot.flows.parsing import strip_invisible
from sandbox.html_entities import utf16_len
from storage.models import AuditEvent, Conversation, StaffRole, StaffThread
from tests.conftest import STAFF_CHAT, BotHarness
from tests.helpers import add_staff
from tests.relay.test_relay_safety import at_the_name_question, staff_text
from tests.relay.test_talk_to_staff import staff_group, staff_messages

# Zero-width, byte order mark, embeddings and overrides, isolates, and control codes.
INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\x00\x07\x1b"
)


# ---- pure: what is removed, how texts are cut ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_invisible_or_control_character_survives(text: str) -> None:
    cleaned = strip_invisible(text)
    assert all(ch == "\n" or unicodedata.category(ch) not in ("Cf", "Cc") for ch in cleaned), (
        cleaned
    )
    assert strip_invisible(cleaned) == cleaned
    # Visible text is kept, in order.
    visible = [ch for ch in text.replace("\t", " ") if ch.isprintable() or ch == "\n"]
    assert [ch for ch in cleaned if ch.isprintable() or ch == "\n"] == visible


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=6000), st.integers(50, 4000))
def test_split_parts_fit_and_lose_nothing_but_spaces(text: str, room: int) -> None:
    parts = split_for_telegram(text, room)
    assert all(utf16_len(str(escape(part))) <= room for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


# ---- names and villages ------------------------------------------------------------------------


async def test_invisible_characters_are_removed_from_a_name(bot: BotHarness) -> None:
    person = bot.person(1201)
    await at_the_name_question(bot, person)
    await person.send(INVISIBLE)  # nothing visible: asked again, kindly
    assert "姓名" in person.screen and "⚠️" in person.screen
    await person.send(f"钱\u200b多\u202e多{INVISIBLE}")
    assert "身份证号" in person.screen
    async with bot.database.transaction() as session:
        conversation = (await session.scalars(select(Conversation))).one()
        assert conversation.answers["applicant_name"] == "钱多多"


async def test_markup_in_a_name_is_refused_with_a_hint(bot: BotHarness) -> None:
    person = bot.person(1202)
    await at_the_name_question(bot, person)
    for typed in ("<b>钱多多</b>", "钱多多</a>"):
        await person.send(typed)
        assert "⚠️" in person.screen and "姓名" in person.screen


# ---- the relay ---------------------------------------------------------------------------------


async def test_markup_and_control_characters_reach_staff_as_plain_text(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1203)
    await person.send("/staff")
    await person.send("你好</a><b>加粗\u202e反向\u200b")
    assert "已转给工作人员" in person.screen
    await bot.dispatch()
    posted = staff_messages(bot)[-1]
    assert "你好</a><b>加粗反向" in (posted.text or "")  # shown as typed, never parsed
    assert not any(ch in (posted.text or "") for ch in INVISIBLE)


async def test_forged_relay_buttons_touch_nobody_else(bot: BotHarness) -> None:
    await staff_group(bot)
    victim, attacker = bot.person(1204), bot.person(1205)
    await victim.send("/staff")
    await victim.send("我的问题")
    await attacker.send("/staff")
    async with bot.database.transaction() as session:
        victim_thread = min(await session.scalars(select(StaffThread.id)))
    sent = attacker.last
    # The attacker's client sends data no button of ours gave them.
    for data in (f"s|close|{victim_thread}", "s|send", "s|answer", "s|x|1"):
        query = await bot.forge(attacker.user_id, attacker.user_id, sent.message_id, data)
        assert bot.telegram.callback_answer(query) is not None, data  # it reached the bot
    await bot.dispatch()
    async with bot.database.transaction() as session:
        victim_row = await session.get(StaffThread, victim_thread)
        assert victim_row is not None and victim_row.status == "open"
    assert "我的问题" not in "".join(m.text or "" for m in attacker.messages)


async def test_a_5000_character_text_at_a_question_is_held_not_lost(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1206)
    await at_the_name_question(bot, person)
    await person.send("/staff")
    await person.send("长" * 5000)
    assert "…" in person.screen and utf16_len(person.screen) < 4096  # a short echo
    await person.tap("2️⃣ 是发给工作人员的")
    assert "分成了 2 条" in person.screen
    await bot.dispatch()
    assert staff_text(bot).count("长") == 5000


# ---- staff chats -------------------------------------------------------------------------------


async def test_every_handler_acts_once_on_a_redelivered_update(bot: BotHarness) -> None:
    """Telegram may deliver an update twice; each handler claims its id."""
    await staff_group(bot)
    await add_staff(bot, 9001, StaffRole.ADMIN)
    resident, admin = bot.person(1207), bot.person(9001)
    cases = [
        (resident, "/my"),
        (resident, "/notices"),
        (resident, "/stop"),
        (resident, "/staff"),
        (admin, "/staff_list"),
        (admin, "/broadcast"),
    ]
    for person, text in cases:
        update = bot.telegram.make_update_text(person.user_id, text)
        before = len(person.messages)
        await bot.feed(update)
        once = len(person.messages)
        assert once > before, text
        await bot.feed(update)
        assert len(person.messages) == once, text
    # A command typed in a group, delivered twice, is answered and recorded once.
    update = bot.telegram.make_update_text(9001, "/staff_list", chat_id=STAFF_CHAT)
    await bot.feed(update)
    await bot.feed(update)
    async with bot.database.transaction() as session:
        rows = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "group.command"))
        )
    assert len(rows) == 1
