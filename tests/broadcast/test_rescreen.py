"""The policy finds the person: a new standards version re-evaluates stored screenings of
residents who agreed to notices, and tells each one whose verdict improved, once."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import select, update

from bot.notices import rescreen
from bot.policy import evaluate, load_profile
from bot.policy.profile import default_profile_path
from storage.models import NoticeSubscription, RescreenNotice, Resident, Screening
from tests.broadcast.conftest import Member, parts, received, subscribe
from tests.conftest import TEST_SECRET_KEY, Clock, started_bot

NEAR_THE_LINE = {
    "for_whom": "self",
    "age": 50,
    "town": "baisha",
    "household_size": 1,
    "income": 1000,  # above 1.5 × the rural line of 630: unlikely until the line rises
    "assets": "none",
    "health": "illness",
    "hardship": "none",
    "housing": "stable",
    "employment": "no",
}
WELL_OFF = {**NEAR_THE_LINE, "income": 5000}
NEW_VERSION = """
  - version: "2026-03-01"
    effective: 2026-03-01
    figures:
      dibao_rural: {value: 1500, source: "synthetic test standard, not a real policy"}
"""


def profile_with_a_higher_line(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    shutil.copytree(default_profile_path(), folder)
    with (folder / "standards.yaml").open("a", encoding="utf-8") as stream:
        stream.write(NEW_VERSION)
    return folder


async def test_improved_verdicts_are_told_once(
    tmp_path: Path, database_url: str, clock: Clock
) -> None:
    folder = profile_with_a_higher_line(tmp_path)
    bot = await started_bot(
        clock,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        profile=folder,
        send_rate=1000,
    )
    try:
        old = load_profile(default_profile_path())
        before = evaluate(old, NEAR_THE_LINE, date(2026, 2, 1))
        assert before.result("dibao").verdict.value == "unlikely"
        await subscribe(
            bot,
            [
                Member(801, "baisha", answers=NEAR_THE_LINE),
                Member(802, "baisha", answers=WELL_OFF),
                Member(803, "baisha", answers=NEAR_THE_LINE),  # will have stopped notices
            ],
        )
        database, _, runner = parts(bot)
        async with database.transaction() as session:
            for screening in (await session.scalars(select(Screening))).all():
                verdicts = evaluate(old, screening.answers, date(2026, 2, 1))
                screening.verdicts = verdicts.to_record()
                screening.standards_version = verdicts.standards_version
            stopped = select(Resident.id).where(Resident.telegram_user_id == 803)
            await session.execute(
                update(NoticeSubscription)
                .where(NoticeSubscription.resident_id.in_(stopped))
                .values(active=False, stopped_reason="stop")
            )
        result = await rescreen.run(
            database,
            runner.profile,
            runner.renderer,
            today=date(2026, 3, 2),
            now=clock(),
            bot="yimen_test_bot",
        )
        assert (result.standards_version, result.checked, result.notified) == ("2026-03-01", 2, 1)
        await bot.dispatch()
        (text,) = received(bot, 801)
        assert "最低生活保障" in text and "不太符合 → 很可能符合" in text
        assert "2026-03-01" in text and "最终由镇街和区里决定" in text
        button = bot.telegram.chat_messages(801)[-1].reply_markup
        assert button is not None and "start=apply" in str(button)
        assert received(bot, 802) == [] and received(bot, 803) == []
        # Once per resident per change: a second run (the periodic job) finds nothing new.
        again = await rescreen.run(
            database,
            runner.profile,
            runner.renderer,
            today=date(2026, 3, 3),
            now=clock(),
            bot="yimen_test_bot",
        )
        assert (again.checked, again.notified) == (0, 0)
        await bot.dispatch()
        assert len(received(bot, 801)) == 1
        async with database.transaction() as session:
            notes = (await session.scalars(select(RescreenNotice))).all()
        assert sorted(n.improved.get("dibao", [""])[0] for n in notes) == ["", "unlikely"]
    finally:
        await bot.stop()
