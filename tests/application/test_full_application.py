"""A resident screens, applies once for every programme found, and gets an application number."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Application, ConsentRecord, Conversation, DepartmentTask
from tests.conftest import BotHarness
from tests.factories import (
    BAISHA_SCREENING_ZH,
    SHUANGFU_SCREENING_EN,
    WANG_FANG,
    ZHANG_GUILAN,
    for_myself,
    play,
    send_file,
    send_photo,
    skip_remaining_documents,
    tap_containing,
)
from tests.helpers import applications, count, documents_of

ZHANG = ZHANG_GUILAN.id_number


async def test_a_full_application_after_a_screening_in_chinese(bot: BotHarness) -> None:
    resident = bot.person(5001)
    await play(resident, BAISHA_SCREENING_ZH)
    await resident.tap("📝 申请这些帮助")
    texts = [m.text or "" for m in resident.messages[-2:]]
    assert "统一申请表" in texts[0]  # the screening's note, then the application's notice
    assert "敏感个人信息" in resident.screen and "分别交给" in resident.screen
    await resident.tap("✅ 同意，开始填写")

    # The programmes the screening found are ticked, and can be changed.
    ticked = [b for b in resident.buttons if b.startswith("✅ ")]
    assert any("最低生活保障" in b for b in ticked)
    assert not any("受灾人员救助" in b for b in ticked)
    await tap_containing(resident, "特困人员")  # untick one …
    assert any(b.startswith("⬜") and "特困人员" in b for b in resident.buttons)
    await tap_containing(resident, "特困人员")  # … and tick it again
    await resident.tap("✅ 选好了")

    # For herself and in Baisha, as she said in the screening: not asked again.
    await resident.send("张桂兰")
    await resident.send(" ".join([ZHANG[:6], ZHANG[6:14], ZHANG[14:].lower()]))
    await resident.send("+86 138-2345-6789")
    assert "村" in resident.screen
    await resident.send("黄荆村")
    assert "家庭成员" in resident.screen
    await resident.tap("✅ 没有其他家庭成员")

    # The economic check: its own consent screen, naming the programmes that need it.
    assert "家庭经济状况核对授权" in resident.screen and "最低生活保障" in resident.screen
    await resident.tap("✅ 同意授权核对")

    # Documents, one at a time: skip the form, a photo of the ID card, a PDF of the hukou.
    assert "材料 1 /" in resident.screen and "救助申请书" in resident.screen
    await resident.tap("⏭️ 先跳过，以后再交")
    assert "居民身份证" in resident.screen
    await send_photo(bot, resident)
    assert "✅ 已收到：居民身份证" in resident.screen and "户口簿" in resident.screen
    await send_file(bot, resident)
    assert "✅ 已收到：户口簿" in resident.screen
    await resident.send("跳过")  # typing works as well as tapping
    skipped = await skip_remaining_documents(resident)
    assert skipped >= 3

    # Review: every answer, each editable; the income is NOT asked again.
    review = resident.screen
    for part in ("请核对", "张桂兰", "13823456789", "白沙", "黄荆村", "已交 2 项"):
        assert part in review, part
    assert "家庭月收入" not in review
    await resident.tap("📨 确认提交申请")
    assert "申请已提交" in resident.screen
    assert "JJ-2026-000001" in resident.screen and "提交回执" in resident.screen
    assert "户口簿" not in resident.screen.split("补交")[-1]  # sent, so not listed as missing

    [application] = await applications(bot)
    assert application.number == "JJ-2026-000001"
    assert application.subject == "self" and application.subject_name == "张桂兰"
    assert application.applicant_id_number == ZHANG  # decrypted by its column type
    assert application.village == "黄荆村" and application.town_id == "baisha"
    assert application.household == []
    assert application.economic_check_authorised_at is not None
    # The screening's facts are reused, not asked again.
    assert application.facts["income"] == {"min": 400, "max": 400}
    assert application.screening_id is not None
    received = {d.document_id: d for d in await documents_of(bot, application.id)}
    assert received["id_card"].kind == "photo" and received["hukou_book"].kind == "document"
    assert received["hukou_book"].mime_type == "application/pdf"
    assert await count(bot, DepartmentTask) >= 3

    # The conversation keeps no copy of the ID or phone number once the application has them.
    database = bot.database
    async with database.transaction() as session:
        row = await session.scalar(select(Conversation).where(Conversation.chat_id == 5001))
        consents = (await session.scalars(select(ConsentRecord.purpose))).all()
    assert row is not None and row.answers == {} and row.status == "finished"
    assert ZHANG not in str(row.view)
    assert "application_notice" in consents


async def test_a_full_application_in_english_with_household_members(bot: BotHarness) -> None:
    resident = bot.person(5002, "en")
    await play(resident, SHUANGFU_SCREENING_EN)
    await resident.tap("📝 Apply for these")
    assert "One application form" in resident.screen
    await resident.tap("✅ I agree, start the form")
    assert any(b.startswith("✅ ") and "dibao" in b for b in resident.buttons)
    await resident.send("done")
    await play(resident, for_myself(WANG_FANG, "name", screened=True))

    # Two household members: a husband and a son in school.
    await resident.tap("➕ Add a household member")
    await resident.tap("Spouse")
    await resident.send("40")
    await resident.tap("❌ No")  # disability
    await resident.tap("❌ No")  # working
    assert "1. Spouse, 40" in resident.screen
    await resident.send("yes")  # anyone else? typed
    await resident.tap("Child")
    await resident.send("12")
    await resident.tap("❌ No")  # disability
    await resident.tap("✅ Yes")  # in school
    assert "2. Child, 12, in school" in resident.screen
    await resident.tap("✅ That's everyone, go on")

    await resident.tap("✅ I authorise the check")
    assert "Document 1 of" in resident.screen
    await send_photo(bot, resident)
    await skip_remaining_documents(resident, "⏭️ Skip, send it later")
    assert "Please check your application" in resident.screen
    assert "Spouse, 40; Child, 12" in resident.screen
    await resident.tap("📨 Submit the application")
    assert "Your application is submitted" in resident.screen
    assert "JJ-2026-000001" in resident.screen and "receipt" in resident.screen

    [application] = await applications(bot)
    assert isinstance(application, Application)
    assert application.locale == "en"
    assert [m["relationship"] for m in application.household] == ["spouse", "child"]
    assert application.household[1] == {
        "relationship": "child",
        "age": 12,
        "disability": "no",
        "in_school": "yes",
    }
