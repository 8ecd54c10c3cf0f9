"""Nothing a resident told us is lost: restarts, repeats, double taps, hostile input, errors."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from storage.models import ConsentRecord, ProcessedUpdate, Resident, Screening
from tests.conftest import BotHarness, Person
from tests.factories import START_ZH, play
from tests.helpers import conversation, count


async def begin(bot: BotHarness, user_id: int = 3001, language: str = "zh-hans") -> Person:
    resident = bot.person(user_id, language)
    await play(resident, [*START_ZH, ("tap", "都没有，继续")])
    return resident


async def test_restart_in_the_middle_resumes_where_it_was(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    await resident.send("70")
    await bot.restart()  # a new process: new Application, same database
    screen = await resident.send("白沙")
    assert "几口人" in screen.text  # the town was accepted; the next question follows
    row = await conversation(bot, resident.user_id)
    assert row.answers["age"] == 70 and row.answers["town"] == "baisha"


async def test_coming_back_days_later_asks_to_continue(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    bot.clock.advance(days=3)
    await bot.restart()
    screen = await resident.send("70")
    assert "欢迎回来" in screen.text
    await resident.tap("▶️ 继续上次的")
    assert "多大年龄" in resident.screen
    await resident.send("70")
    assert "镇或街道" in resident.screen


async def test_start_again_midway_offers_continue_or_start_over(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    await resident.send("/start")
    assert "欢迎回来" in resident.screen
    await resident.tap("🔄 重新开始")
    assert "紧急" in resident.screen  # consent is on record: straight to the first question
    row = await conversation(bot, resident.user_id)
    assert "for_whom" not in row.answers


async def test_a_repeated_update_has_no_second_effect(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    update = bot.telegram.make_update_text(resident.user_id, "70")
    await bot.feed(update)
    sent_before = len(bot.telegram.calls)
    await bot.feed(update)  # Telegram redelivers the same update id
    assert len(bot.telegram.calls) == sent_before
    row = await conversation(bot, resident.user_id)
    assert row.step == "town"
    assert await count(bot, ProcessedUpdate) >= 1


async def test_a_double_tap_answers_once(bot: BotHarness) -> None:
    resident = await begin(bot)
    message = resident.last
    data = next(b["callback_data"] for b in message.buttons if b["text"] == "🙋 我自己")
    # Both taps leave the phone before the edited message arrives.
    first = bot.telegram.make_update_tap(
        resident.user_id, resident.user_id, message.message_id, data
    )
    second = bot.telegram.make_update_tap(
        resident.user_id, resident.user_id, message.message_id, data
    )
    await bot.feed(first)
    await bot.feed(second)
    row = await conversation(bot, resident.user_id)
    assert row.step == "age"
    answered = bot.telegram.callback_answer(second["callback_query"]["id"])
    assert answered is not None and "失效" in answered.get("text", "")


async def test_concurrent_updates_of_one_chat_stay_in_order(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    assert bot.application is not None
    processor = bot.application.update_processor
    updates = [
        bot.telegram.make_update_text(resident.user_id, text) for text in ("70", "白沙", "1")
    ]
    from telegram import Update

    await asyncio.gather(
        *(
            processor.process_update(
                parsed := Update.de_json(u, bot.application.bot),
                bot.application.process_update(parsed),
            )
            for u in updates
        )
    )
    row = await conversation(bot, resident.user_id)
    assert row.answers["age"] == 70 and row.answers["town"] == "baisha"
    assert row.answers["household_size"] == 1


@pytest.mark.parametrize(
    "hostile",
    [
        "<b>bold</b><script>alert(1)</script>",
        "{{ 7*7 }} {% for x in y %}",
        "9" * 5000,
        "😀🙏🏻👨‍👩‍👧",
        "   ",
        "&amp; &lt; <a href='x'>",
    ],
)
async def test_hostile_text_is_answered_kindly_and_safely(bot: BotHarness, hostile: str) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    screen = await resident.send(hostile)
    assert "多大年龄" in screen.text  # the same question again
    assert "⚠️" in screen.text  # with a hint
    assert "49" not in screen.text  # no template was built from the input
    failed = [call for call in bot.telegram.calls if not call.ok]
    assert failed == []  # every message we sent was valid Telegram HTML


@pytest.mark.parametrize("kind", ["sticker", "photo"])
async def test_a_sticker_or_photo_where_words_are_expected(bot: BotHarness, kind: str) -> None:
    resident = await begin(bot)
    await resident.tap("🙋 我自己")
    if kind == "sticker":
        await bot.feed(bot.telegram.make_update_sticker(resident.user_id))
    else:
        await bot.feed(bot.telegram.make_update_photo(resident.user_id))
    assert "图片" in resident.screen and "多大年龄" in resident.screen


async def test_declining_consent_keeps_only_the_refusal(bot: BotHarness) -> None:
    resident = bot.person(3100)
    await resident.send("/start")
    await resident.tap("中文")
    await resident.tap("不同意")
    assert "不会保存" in resident.screen
    row = await conversation(bot, resident.user_id)
    assert row.answers == {} and row.status == "finished"
    assert await count(bot, Screening) == 0
    database = bot.database
    async with database.transaction() as session:
        consents = (await session.scalars(select(ConsentRecord))).all()
    assert [(c.granted, c.notice_version) for c in consents] == [(False, "2026-11")]


async def test_language_is_remembered_and_can_be_changed_anywhere(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.send("/language")
    await resident.tap("English")
    assert "Who are you asking for?" in resident.screen
    await resident.tap("🙋 Myself")
    await resident.send("/cancel")
    await resident.send("/start")
    assert "first, the most important question" in resident.screen.lower()
    database = bot.database
    async with database.transaction() as session:
        resident_row = await session.scalar(select(Resident))
    assert resident_row is not None and resident_row.locale == "en"


async def test_help_and_cancel_work_everywhere(bot: BotHarness) -> None:
    resident = await begin(bot)
    await resident.send("/help")
    assert "为谁了解" in resident.screen  # the current question follows the help text
    assert any("使用帮助" in (m.text or "") for m in resident.messages)
    await resident.send("/cancel")
    assert "已取消" in resident.screen
    row = await conversation(bot, resident.user_id)
    assert row.status == "cancelled" and row.answers == {}
    await resident.send("/cancel")
    assert "没有进行中" in resident.screen


async def test_dialog_message_is_edited_in_place_and_resent_when_too_old(bot: BotHarness) -> None:
    resident = await begin(bot)
    dialog = resident.last.message_id
    await resident.tap("🙋 我自己")
    assert resident.last.message_id == dialog  # edited in place
    assert resident.last.edit_date is not None
    await resident.send("70")
    town_message = resident.last.message_id
    # Two days later the message can no longer be edited: the bot sends a new one.
    bot.clock.advance(days=3)
    await resident.tap("白沙镇")
    assert resident.last.message_id != town_message
    assert "几口人" in resident.screen


async def test_an_unexpected_error_tells_the_resident_their_answers_are_kept(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = await begin(bot)
    assert bot.application is not None
    dialogue = bot.application.bot_data.app.dialogue

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dialogue.engine, "handle", explode)
    await resident.send("hello")
    assert "出了点问题" in resident.screen and "已保存" in resident.screen
