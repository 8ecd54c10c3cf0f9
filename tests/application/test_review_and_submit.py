"""Review and edit, submit once, resume after a restart, and no duplicate applications."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Application, Conversation
from tests.conftest import BotHarness, Person
from tests.factories import (
    START_ZH,
    SUN_LI,
    VALID_IDS,
    Applicant,
    apply_for_myself,
    choose,
    for_family,
    for_myself,
    from_menu,
    id_number,
    no_household,
    play,
    send_photo,
    skip_remaining_documents,
    tap_containing,
)
from tests.helpers import applications, count

CHILD = id_number("20180101", "062")


async def to_review(bot: BotHarness, person: Person, programme: str = "临时救助") -> None:
    """/apply for one programme, for oneself, through to the review screen."""
    await play(person, apply_for_myself(SUN_LI, programme))
    await send_photo(bot, person)
    await skip_remaining_documents(person)
    assert "请核对" in person.screen


async def test_editing_from_review_asks_only_what_depends_on_it(bot: BotHarness) -> None:
    person = bot.person(5301)
    await to_review(bot, person)
    await person.tap("村（社区）")
    await person.send("东风社区")
    assert "请核对" in person.screen and "东风社区" in person.screen

    # A new programme: only its new documents are asked, and its economic check.
    await person.tap("申请的项目")
    await tap_containing(person, "最低生活保障")
    await person.tap("✅ 选好了")
    assert "家庭经济状况核对授权" in person.screen
    await person.tap("✅ 同意授权核对")
    asked = []
    while "⏭️ 先跳过，以后再交" in person.buttons:
        asked.append(person.screen.split("：", 1)[1].split("\n")[0])
        await person.tap("⏭️ 先跳过，以后再交")
    assert "居民身份证" not in asked and "救助申请书（一表登记）" not in asked
    assert "户口簿" in asked
    assert "请核对" in person.screen and "已交 1 项" in person.screen  # the ID photo is kept

    # Applying for a family member instead: only the questions about them are added.
    await person.tap("为谁申请")
    await person.tap("👪 家里人")
    await person.tap("子女")
    await person.send("孙小花")
    await person.send(CHILD)
    await person.tap("✅ 是，我是孩子的监护人，同意申请")
    assert "请核对" in person.screen and "孙小花" in person.screen
    await person.tap("📨 确认提交申请")
    [application] = await applications(bot)
    assert application.subject_name == "孙小花" and application.relationship == "child"
    assert (application.guardian_name, application.guardian_consent) == ("孙丽", True)
    assert application.village == "东风社区"
    assert set(application.facts) == set()  # no screening: nothing to reuse, nothing asked


async def test_a_double_tap_on_submit_creates_one_application(bot: BotHarness) -> None:
    person = bot.person(5302)
    await to_review(bot, person)
    review = person.last
    data = next(b["callback_data"] for b in review.buttons if b["text"] == "📨 确认提交申请")
    # Both taps reach Telegram before the screen changes, as with a quick double tap.
    taps = [
        bot.telegram.make_update_tap(person.user_id, person.user_id, review.message_id, data)
        for _ in range(2)
    ]
    for tap in taps:
        await bot.feed(tap)
    assert await count(bot, Application) == 1
    assert "申请已提交" in person.screen
    answers = [c for c in bot.telegram.calls if c.method == "answerCallbackQuery"]
    assert "失效" in str(answers[-1].params)  # the second tap is told the button is stale


async def test_a_restart_mid_application_resumes(bot: BotHarness) -> None:
    person = bot.person(5303)
    await play(person, [*START_ZH, *from_menu("临时救助", "医疗救助", done=False)])
    await bot.restart()  # ticks not yet confirmed survive a new process
    assert sum(b.startswith("✅ ") and ". " in b for b in person.buttons) == 2
    await person.tap("✅ 选好了")
    await play(person, for_myself(SUN_LI))
    await person.tap("➕ 添加一位家庭成员")
    await person.tap("配偶")
    await bot.restart()  # half a household member, then a new process
    await person.send("45")
    assert "残疾" in person.screen  # the member's next question: nothing was lost
    await person.tap("❌ 否")
    await person.tap("✅ 是")
    bot.clock.advance(days=2)
    await person.send("嗯")
    assert "欢迎回来" in person.screen
    await person.tap("▶️ 继续上次的")
    assert "1. 配偶，45 岁，有工作" in person.screen


async def test_an_open_application_is_shown_instead_of_a_duplicate(bot: BotHarness) -> None:
    first = bot.person(5304)
    await to_review(bot, first)
    await first.tap("📨 确认提交申请")
    [existing] = await applications(bot)

    # The same person applies again, for the same programme: told at once, not at the end.
    await play(first, [*from_menu("临时救助"), *for_myself(SUN_LI, through="id_number")])
    assert "已经有一份在办的申请" in first.screen and existing.number in first.screen
    assert first.buttons == ["⬅️ 上一步"]

    # Someone else fills in a whole form for her; meanwhile nothing exists yet for "medical"…
    other = bot.person(5305)
    await play(other, [*START_ZH, *from_menu("医疗救助")])
    zhou_jun = Applicant("周军", VALID_IDS[0], "13812345678", "德感", "东方红社区")
    await play(other, for_family(zhou_jun, "配偶", SUN_LI.name, SUN_LI.id_number))
    await other.tap("✅ 本人已同意")
    await play(other, [*for_myself(zhou_jun, "town"), *no_household()])
    await skip_remaining_documents(other)
    # … until she files it herself, before he submits: his submit shows hers instead.
    await first.tap("⬅️ 上一步")
    await first.tap("⬅️ 上一步")
    await first.tap("⬅️ 上一步")
    await first.tap("⬅️ 上一步")
    await play(
        first, [*choose("临时救助", "医疗救助", notice=False), *for_myself(SUN_LI), *no_household()]
    )
    await skip_remaining_documents(first)
    await first.tap("📨 确认提交申请")
    assert "申请已提交" in first.screen
    await other.tap("📨 确认提交申请")
    assert "已经有一份在办的申请" in other.screen and "JJ-2026-000002" in other.screen
    assert await count(bot, Application) == 2
    await other.tap("⬅️ 上一步")
    assert "请核对" in other.screen  # back to the review, everything kept


async def test_declining_the_economic_check_stops_kindly(bot: BotHarness) -> None:
    person = bot.person(5306)
    await play(person, apply_for_myself(SUN_LI, "最低生活保障"))
    await person.tap("不同意")
    assert "不能审核" in person.screen and "最低生活保障" in person.screen
    assert person.buttons == ["⬅️ 上一步"]
    await person.send("好吧")
    assert "⚠️" in person.screen
    await person.tap("⬅️ 上一步")
    await person.tap("✅ 同意授权核对")
    assert "材料 1 /" in person.screen


async def test_cancel_forgets_the_application(bot: BotHarness) -> None:
    person = bot.person(5307)
    await play(
        person, [*START_ZH, *from_menu("临时救助"), *for_myself(SUN_LI, through="id_number")]
    )
    await person.send("/cancel")
    assert "取消" in person.screen or "删除" in person.screen
    assert await count(bot, Application) == 0


async def test_a_duplicate_found_before_an_upgrade_does_not_hold_the_form(bot: BotHarness) -> None:
    """A conversation saved at the duplicate screen by an older version (the open applications
    in its view, without the note of which step they routed to) goes on once the resident
    chooses a programme that has none."""
    first = bot.person(5306)
    await to_review(bot, first)
    await first.tap("📨 确认提交申请")
    await play(first, [*from_menu("临时救助"), *for_myself(SUN_LI, through="id_number")])
    assert "已经有一份在办的申请" in first.screen
    async with bot.database.transaction() as session:
        row = await session.scalar(select(Conversation).where(Conversation.chat_id == 5306))
        assert row is not None and "routed" in row.view
        row.view = {k: v for k, v in row.view.items() if k != "routed"}  # as saved before

    for _ in range(4):  # back to the programmes: 临时救助 off, 医疗救助 (none open) on
        await first.tap("⬅️ 上一步")
    await play(first, [*choose("临时救助", "医疗救助", notice=False), *for_myself(SUN_LI)])
    assert "已经有一份在办的申请" not in first.screen
