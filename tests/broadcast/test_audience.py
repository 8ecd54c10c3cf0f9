"""Audience selection: towns, topics, screening facts, open applications, recent receivers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bot.flows.model import Label
from bot.notices import audience
from bot.notices.audience import Audience, AudienceError, Selector
from bot.policy import load_profile
from bot.policy.profile import default_profile_path
from bot.render import Renderer
from storage import broadcasts
from storage.models import (
    Application,
    Broadcast,
    BroadcastStatus,
    DepartmentTask,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Resident,
)
from tests.broadcast.conftest import Member, parts, subscribe
from tests.conftest import BotHarness

PEOPLE = [
    Member(1, "baisha", answers={"age": 72, "health": "none"}),
    Member(2, "jijiang", answers={"age": 40, "household": ["in_school", "jobless"]}),
    Member(3, "baisha", topics=("older",), answers={"age": 66, "health": "disability_1"}),
    Member(4, "baisha", topics=("children",), answers={"age": 35, "children": "not_in_school"}),
    Member(5, "jijiang", town_only=True, answers={"age": 61}),
    Member(6, "degan"),  # never screened
]


async def chosen(bot: BotHarness, a: Audience) -> list[int]:
    database, _, _ = parts(bot)
    selector = Selector(a, bot.clock(), batch=2)  # small batches: the cursor is exercised
    async with database.transaction() as session:
        found, after = [], 0
        while True:
            picked, nxt = await selector.next_batch(session, after_id=after)
            found += [s.chat_id for s in picked]
            if nxt is None:
                break
            after = nxt
        assert len(found) == await Selector(a, bot.clock()).count(session)
    return sorted(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", [1, 2, 6]),  # general notices: those who want all (5 wants their town only)
        ("town=白沙", [1]),
        ("town=jijiang", [2, 5]),
        ("topic=older", [1, 2, 3, 6]),
        ("topic=children fact=children", [2, 4]),
        ("fact=over_60", [1]),
        ("topic=older fact=over_60", [1, 3]),
        ("topic=older fact=disability", [3]),
        ("fact=unemployed", [2]),
        ("town=baisha,jijiang fact=over_60", [1, 5]),
    ],
)
async def test_audiences_select_the_right_people(
    fast: BotHarness, text: str, expected: list[int]
) -> None:
    await subscribe(fast, PEOPLE)
    profile = fast.components.profile
    assert await chosen(fast, audience.parse(text, profile)) == expected


async def test_open_application_and_recent_receivers(fast: BotHarness) -> None:
    await subscribe(fast, PEOPLE)
    database, _, _ = parts(fast)
    now = fast.clock()
    async with database.transaction() as session:
        resident = await session.scalar(select(Resident).where(Resident.telegram_user_id == 2))
        assert resident is not None
        application = Application(
            number="JJ-2026-000001",
            resident_id=resident.id,
            locale="zh-CN",
            applicant_name="x",
            applicant_id_number="x",
            applicant_phone="x",
            subject="self",
            subject_name="x",
            subject_id_number="x",
            subject_digest="x",
            town_id="jijiang",
            village="x",
        )
        session.add(application)
        await session.flush()
        session.add(
            DepartmentTask(
                application_id=application.id,
                programme_id="dibao",
                department_id="civil_affairs",
                state="investigating",
                due_on=now.date(),
            )
        )
        old = Broadcast(created_by=1, status=BroadcastStatus.FINISHED, finished_at=now)
        session.add(old)
        await session.flush()
        # The old broadcast reached chat 1 two days ago and chat 6 nine days ago.
        await session.execute(
            insert(OutboxMessage),
            [
                {
                    "chat_id": chat_id,
                    "purpose": "broadcast",
                    "priority": Priority.BROADCAST,
                    "payload": {},
                    "status": OutboxStatus.SENT,
                    "attempts": 1,
                    "not_before": now,
                    "broadcast_id": old.id,
                    "created_at": now,
                    "sent_at": now - timedelta(days=days_ago),
                }
                for chat_id, days_ago in ((1, 2), (6, 9))
            ],
        )
    assert await chosen(fast, Audience(topic="older", programme="dibao")) == [2]
    assert await chosen(fast, Audience(exclude_days=7)) == [2, 6]
    assert await chosen(fast, Audience(exclude_days=10)) == [2]
    async with database.transaction() as session:
        assert await broadcasts.recent_receivers(session, since=now - timedelta(days=3)) == {1}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("town=北京", "there is no town “北京” in this district"),
        ("topic=everything", "the topic is one of older, children"),
        ("fact=rich", "the facts are among over_60"),
        ("programme=lottery", "the programme is one of dibao"),
        ("exclude_days=0", "exclude_days is a number of days, 1 to"),
        ("colour=red", "“colour” is not one of town"),
        ("baisha", "“baisha” should be key=value"),
    ],
)
def test_unreadable_audiences_say_why_in_the_readers_language(text: str, problem: str) -> None:
    profile = load_profile(default_profile_path())
    renderer = Renderer()
    with pytest.raises(AudienceError) as raised:
        audience.parse(text, profile)
    label = Label.of(f"broadcast.error.audience_{raised.value.key}", **raised.value.params)
    assert problem in renderer.text(label, "en")
    chinese = renderer.text(label, "zh-CN")
    assert chinese.startswith("没看懂对象") and not re.search(
        r"\b(no|must|unknown|expected)\b", chinese
    )


def test_an_audience_reads_back_as_written() -> None:
    profile = load_profile(default_profile_path())
    a = audience.parse("town=白沙,几江 topic=older fact=over_60 exclude_days=7", profile)
    assert a.describe() == "town=baisha,jijiang topic=older fact=over_60 exclude_days=7"
    assert audience.parse(a.describe(), profile) == a == Audience.from_json(a.to_json())
