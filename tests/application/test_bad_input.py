"""Wrong ID and phone numbers, wrong files and files at the wrong step: a specific, kind hint,
the same question again, and nothing already collected is lost."""

from __future__ import annotations

import pytest

from tests.conftest import BotHarness, Person
from tests.factories import (
    INVALID_IDS,
    QIAN_DUODUO,
    START_ZH,
    VALID_IDS,
    for_myself,
    from_menu,
    no_household,
    play,
    send_file,
    send_photo,
)

QIAN = QIAN_DUODUO


async def at_the_id_question(bot: BotHarness, user_id: int) -> Person:
    person = bot.person(user_id)
    await play(person, [*START_ZH, *from_menu("临时救助"), *for_myself(QIAN, through="name")])
    assert "身份证号" in person.screen
    return person


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        (INVALID_IDS[0], "最后一位对不上"),
        (INVALID_IDS[1], "最后一位对不上"),
        ("36042619910101007", "18 位，您输入了 17 位"),
        ("3604261991010100712", "18 位，您输入了 19 位"),
        ("36042619910101007A", "最后一位是数字或字母 X"),
        ("ABCDEFGHIJKLMNOPQR", "最后一位是数字或字母 X"),
        ("360426199902310076", "出生日期"),  # 31 February 1999
        ("360426203001010013", "出生日期"),  # born in the future
    ],
)
async def test_a_wrong_id_number_is_asked_again_with_a_specific_hint(
    bot: BotHarness, typed: str, hint: str
) -> None:
    person = await at_the_id_question(bot, 5201)
    await person.send(typed)
    assert "⚠️" in person.screen and hint in person.screen, person.screen
    assert "请输入您的身份证号" in person.screen  # the same question, below the hint
    await person.send(VALID_IDS[2].lower())  # lower-case x is fine
    assert "手机号" in person.screen


@pytest.mark.parametrize("valid", VALID_IDS)
async def test_valid_id_numbers_are_taken_whatever_their_region(
    bot: BotHarness, valid: str
) -> None:
    person = await at_the_id_question(bot, 5202)
    await person.send(f" {valid[:6]} {valid[6:14]} {valid[14:]} ")
    assert "手机号" in person.screen and "⚠️" not in person.screen


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("1381234567", "11 位，您输入了 10 位"),
        ("138123456789", "11 位，您输入了 12 位"),
        ("138abc45678", "只能是数字"),
        ("023-6123 4567", "座机"),
        ("12812345678", "13 到 19 开头"),
    ],
)
async def test_a_wrong_phone_number_is_asked_again_with_a_specific_hint(
    bot: BotHarness, typed: str, hint: str
) -> None:
    person = await at_the_id_question(bot, 5203)
    await person.send(VALID_IDS[0])
    await person.send(typed)
    assert "⚠️" in person.screen and hint in person.screen, person.screen
    await person.send("+86 139 1234 5678")
    assert "镇或街道" in person.screen


async def test_names_are_bounded_and_never_markup(bot: BotHarness) -> None:
    person = bot.person(5204)
    await play(person, [*START_ZH, *from_menu("临时救助"), *for_myself(QIAN, through="who")])
    await person.send("<b>钱</b>")
    assert "⚠️" in person.screen and "&lt;" not in person.screen and "符号" in person.screen
    await person.send("钱" * 31)
    assert "最多 30 个字" in person.screen
    await person.send("   ")
    assert "⚠️" in person.screen
    await person.send("  钱   多多 ")
    assert "身份证号" in person.screen


async def at_the_documents(bot: BotHarness, user_id: int) -> Person:
    person = await at_the_id_question(bot, user_id)
    await person.send(QIAN.id_number)
    # A photo sent too early is not lost on anyone: the question stays, with a kind word.
    await send_photo(bot, person)
    assert "还不用交材料" in person.screen and "手机号" in person.screen
    await play(person, [*for_myself(QIAN, "phone"), *no_household()])
    assert "材料 1 /" in person.screen
    return person


async def test_wrong_files_get_a_specific_hint_and_lose_nothing(bot: BotHarness) -> None:
    person = await at_the_documents(bot, 5205)
    first = person.screen.split("材料 1 /")[1].split("\n")[0]
    await bot.feed(bot.telegram.make_update_sticker(person.user_id))
    assert "不能当作材料" in person.screen and first in person.screen
    await person.send("这是我的身份证")
    assert "需要照片或文件" in person.screen
    await send_file(bot, person, b"\x00" * (20 * 1024 * 1024 + 1), "scan.pdf")
    assert "太大了" in person.screen and "20 MB" in person.screen
    await send_file(bot, person, b"PK\x03\x04", "photos.zip", "application/zip")
    assert "打不开" in person.screen
    await send_file(bot, person, b"MZ", "setup.exe", "application/x-msdownload")
    assert "打不开" in person.screen
    assert first in person.screen  # still the first item: nothing was taken or lost
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    await send_file(bot, person, b"PK\x03\x04 docx", "申请书.docx", word)
    assert "✅ 已收到" in person.screen and "材料 2 /" in person.screen
    # Back inside the checklist undoes the last item, not the whole step.
    await person.tap("⬅️ 上一步")
    assert "材料 1 /" in person.screen
