"""/mydata and /forget through the real Application, and their twins at the window (CLI).

Everyone here is invented: 张阿姨 screens, applies, talks to staff and subscribes to notices;
then she asks for her data, and to be forgotten.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.casework import rights
from sandbox.scripts import ZHANG_AYI
from storage.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    ConsentRecord,
    Conversation,
    NoticeSubscription,
    OutboxMessage,
    Resident,
    Screening,
    StaffThread,
    StatusEvent,
)
from tests.conftest import STAFF_CHAT, BotHarness, Person
from tests.factories import play
from tests.helpers import apply, audit_rows, count, resident_id

ZHANG = 4101
ID_NUMBER = "360426199101010071"  # synthetic, from tests.factories
PHONE = "13812345678"
RELAYED = "请问低保什么时候发放？"


async def screen_and_engage(bot: BotHarness) -> tuple[Person, int]:
    """张阿姨 screens, applies, writes to staff and subscribes; returns her resident id."""
    bot.telegram.add_group(STAFF_CHAT, "窗口工作人员群")
    person = bot.person(ZHANG)
    await play(person, ZHANG_AYI)
    her = await resident_id(bot, ZHANG)
    async with bot.database.transaction() as session:
        session.add(
            NoticeSubscription(
                resident_id=her, chat_id=ZHANG, topics=["all"], consent_version="2026-12"
            )
        )
    await apply(bot, her)
    await bot.dispatch()
    await person.send("/staff")
    await person.send(RELAYED)
    await bot.dispatch()
    return person, her


def assert_no_personal_data(row: AuditEvent) -> None:
    flat = json.dumps(
        [row.actor_id, row.chat_id, row.subject, row.detail], ensure_ascii=False, default=str
    )
    for secret in (ID_NUMBER, PHONE, "王秀英", "黄荆村", str(ZHANG), RELAYED):
        assert secret not in flat, f"{secret} in the audit row"


async def test_mydata_sends_a_summary_and_a_file_of_everything_decrypted(bot: BotHarness) -> None:
    person, resident_id = await screen_and_engage(bot)

    await person.send("/mydata")

    summary, document = person.messages[-2], person.messages[-1]
    assert "我们保存的您的信息" in (summary.text or "")
    assert "自测记录（您的回答和结果）：1 项" in (summary.text or "")
    assert "您发给窗口工作人员的消息：1 项" in (summary.text or "")
    assert document.document is not None and document.caption
    upload = bot.telegram.calls_to("sendDocument")[-1]
    (file_name, content, _mime) = upload.files["document"]
    assert file_name.startswith("yimen-mydata-") and file_name.endswith(".json")
    data = json.loads(content)
    assert data["resident"]["telegram_user_id"] == ZHANG
    application = data["applications"][0]
    # Decrypted: the resident sees her own numbers, not ciphertext.
    assert application["applicant"]["id_number"] == ID_NUMBER
    assert application["applicant"]["phone"] == PHONE
    assert application["person"]["name"] == "王秀英"
    assert application["village"] == "黄荆村"
    assert {p["programme"] for p in application["programmes"]} == {"dibao", "medical"}
    assert application["status_events"][0]["action"] == "submitted"
    assert data["screenings"][0]["answers"]["income"] == {"min": 400, "max": 400}
    assert data["conversation"][0]["answers"]["town"] == "baisha"
    assert "in_progress" in data["conversation"][0]  # the work in progress is theirs too
    assert data["notice_subscriptions"][0]["active"] is True
    assert data["talk_to_staff"][0]["messages_to_staff"][0]["text"].count(RELAYED) == 1
    assert any(m["purpose"] == "receipt" for m in data["messages_to_you"])
    assert data["consents"][0]["purpose"] == "privacy_notice"

    [row] = await audit_rows(bot, "rights.export")
    assert row.subject == f"resident:{resident_id}"
    assert row.detail["counts"]["applications"] == 1
    assert row.detail["channel"] == "bot"
    assert_no_personal_data(row)


async def test_mydata_of_a_stranger_says_nothing_is_held(bot: BotHarness) -> None:
    person = bot.person(4199)
    await person.send("/mydata")
    assert "没有保存您的任何信息" in person.screen
    assert bot.telegram.calls_to("sendDocument") == []


async def test_forget_asks_first_and_no_keeps_everything(bot: BotHarness) -> None:
    person, resident_id = await screen_and_engage(bot)
    confirm = await person.send("/forget")
    assert "删除您的信息并撤回同意吗" in (confirm.text or "")
    assert person.buttons == ["🗑 是的，删除我的信息", "↩️ 不删除，保持不变"]
    await person.tap("↩️ 不删除，保持不变")
    assert "没有删除任何信息" in person.screen
    assert await count(bot, Screening, Screening.resident_id == resident_id) == 1
    assert await audit_rows(bot, "rights.forget") == []


async def test_forget_deletes_withdraws_and_names_what_the_law_keeps(bot: BotHarness) -> None:
    person, resident_id = await screen_and_engage(bot)
    await person.send("/forget")
    await person.tap("🗑 是的，删除我的信息")

    text = person.screen
    assert "您的同意已撤回" in text
    # The application is being decided: kept whole, its decision still reaches her.
    assert "还在审核" in text and "办结后再保留 5 年" in text
    for model, where in (
        (Screening, Screening.resident_id == resident_id),
        (Conversation, Conversation.resident_id == resident_id),
        (NoticeSubscription, NoticeSubscription.resident_id == resident_id),
        (StaffThread, StaffThread.resident_id == resident_id),
    ):
        assert await count(bot, model, where) == 0, model.__name__
    # Her relayed text is gone from the outbox, and so are messages already sent to her.
    assert await count(bot, OutboxMessage, OutboxMessage.purpose == "relay") == 0
    assert await count(bot, OutboxMessage, OutboxMessage.chat_id == ZHANG) == 0
    assert await count(bot, Application, Application.resident_id == resident_id) == 1
    async with bot.database.transaction() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.consented_notice is None
        withdrawn = await session.scalars(
            select(ConsentRecord.purpose).where(
                ConsentRecord.resident_id == resident_id, ConsentRecord.granted.is_(False)
            )
        )
        assert set(withdrawn) == {"privacy_notice", "policy_notices"}
    [row] = await audit_rows(bot, "rights.forget")
    assert row.subject == f"resident:{resident_id}"
    assert row.detail["counts"]["screenings"] == 1
    assert row.detail["counts"]["applications_kept"] == 1
    assert_no_personal_data(row)

    # Processing has stopped: a later /start asks for her consent again.
    await person.send("/start")
    assert "✅ 同意，开始" in person.buttons


async def test_forget_after_the_archive_period_anonymises_and_removes_the_resident(
    bot: BotHarness,
) -> None:
    person, resident_id = await screen_and_engage(bot)
    async with bot.database.transaction() as session:
        application = await session.scalar(select(Application))
        assert application is not None
        application.status = ApplicationStatus.REJECTED
        application.updated_at = bot.clock() - timedelta(days=6 * 366)
        for event in await session.scalars(select(StatusEvent)):
            event.created_at = bot.clock() - timedelta(days=6 * 366)
            event.note = "电话 13812345678"
    await person.send("/forget")
    await person.tap("🗑 是的，删除我的信息")
    assert "按法律规定" not in person.screen

    async with bot.database.transaction() as session:
        application = await session.scalar(select(Application))
        assert application is not None and application.anonymised_at is not None
        assert application.applicant_name == application.subject_name == ""
        assert application.village == "" and application.facts == {} and application.household == []
        assert application.town_id == "baisha" and application.status == "rejected"
        assert set(await session.scalars(select(StatusEvent.note))) == {None}
        # Kept for statistics, but no longer linked to a Telegram account.
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.telegram_user_id < 0
    await person.send("/mydata")
    assert "没有保存您的任何信息" in person.screen


async def test_an_old_confirmation_button_asks_again(bot: BotHarness) -> None:
    person, resident_id = await screen_and_engage(bot)
    await person.send("/forget")
    bot.clock.advance(hours=2)
    await person.tap("🗑 是的，删除我的信息")
    assert "删除您的信息并撤回同意吗" in person.screen
    assert await count(bot, Screening, Screening.resident_id == resident_id) == 1


async def test_cancel_deletes_the_unfinished_screening_row(bot: BotHarness) -> None:
    person = bot.person(4102)
    await play(person, ZHANG_AYI)
    assert await count(bot, Screening) == 1
    await person.tap("⬅️ 上一步")  # back from the result: the screening is unfinished again
    await person.send("/cancel")
    assert "本次的回答已删除" in person.screen
    assert await count(bot, Screening) == 0


async def test_find_by_id_number_uses_the_digest_and_only_self_applications(
    bot: BotHarness,
) -> None:
    _person, resident_id = await screen_and_engage(bot)
    # Her son applied for her too (a second programme): his own chat is not hers to see.
    async with bot.database.transaction() as session:
        son = Resident(telegram_user_id=4150, locale="zh-CN")
        session.add(son)
        await session.flush()
        son_id = son.id
    await apply(
        bot,
        son_id,
        programmes=("temporary",),
        subject="family",
        relationship="child",
        applicant_name="李强",
        applicant_id_number="360426197001010011",
    )
    async with bot.database.transaction() as session:
        found = await rights.find_by_id_number(
            session, bot.components.casework, id_number=ID_NUMBER
        )
        assert [r.id for r in found] == [resident_id]
        assert await rights.find_by_id_number(session, bot.components.casework, id_number="X") == []
