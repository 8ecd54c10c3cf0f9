"""The broadcast's lifecycle and the administrator's composer: allowed and refused moves."""

from __future__ import annotations

import pytest

from bot.notices import broadcasts
from bot.notices.composer import Choice, Step, next_step
from bot.notices.lifecycle import InvalidMove, Move, allowed, next_status
from storage.models import BroadcastStatus
from tests.broadcast.conftest import ADMIN, FIRST, Member, parts, subscribe
from tests.broadcast.test_broadcast_flow import compose, latest_broadcast
from tests.conftest import BotHarness

S, M = BroadcastStatus, Move

LIVES = [
    ([M.SEND, M.PAUSE, M.RESUME, M.FINISH], S.FINISHED),
    ([M.SCHEDULE, M.BEGIN, M.PAUSE, M.CANCEL], S.CANCELLED),
    ([M.SCHEDULE, M.CANCEL], S.CANCELLED),
    ([M.DISCARD], S.CANCELLED),
    ([M.CANCEL], S.CANCELLED),
]


@pytest.mark.parametrize(("moves", "end"), LIVES)
def test_a_broadcast_lives_by_its_moves(moves: list[Move], end: BroadcastStatus) -> None:
    status: str = S.DRAFT
    for move in moves:
        status = next_status(status, move)
    assert status == end


@pytest.mark.parametrize(
    ("status", "move", "conditions", "message"),
    [
        (S.FINISHED, M.CANCEL, {}, "already finished"),
        (S.CANCELLED, M.RESUME, {}, "already cancelled"),
        (S.SENDING, M.RESUME, {}, "a sending broadcast cannot resume"),
        (S.PAUSED, M.PAUSE, {}, "a paused broadcast cannot pause"),
        (S.SENDING, M.SEND, {}, "only a draft can send"),
        (S.SCHEDULED, M.DISCARD, {}, "only a draft can discard"),
        (S.SCHEDULED, M.BEGIN, {"due": False}, "when its time has come"),
        (S.SENDING, M.FINISH, {"all_out": False}, "every recipient"),
        (S.PAUSED, M.FINISH, {}, "a paused broadcast cannot finish"),
        (S.DRAFT, "fly", {}, "unknown move"),
    ],
)
def test_moves_that_do_not_follow_are_refused_in_plain_words(
    status: BroadcastStatus, move: str, conditions: dict[str, bool], message: str
) -> None:
    with pytest.raises(InvalidMove, match=message) as refused:
        next_status(status, move, **conditions)
    assert refused.value.key == "state"  # what the administrator is shown
    assert not allowed(status, move, **conditions) if move in Move.__members__.values() else True


C = Choice
COMPOSING = [
    ([C.OPEN, C.TEXT, C.NO_PHOTO, C.AUDIENCE, C.SEND], {}, Step.CLOSED),
    ([C.OPEN, C.TEXT, C.AUDIENCE, C.SCHEDULE, C.TIME], {"with_photo": True}, Step.CLOSED),
    ([C.OPEN, C.TEXT, C.PHOTO, C.EVERYONE, C.TEST, C.CHANGE_AUDIENCE], {}, Step.AUDIENCE),
    ([C.OPEN, C.TEXT, C.TOO_LONG], {}, Step.TEXT),
    ([C.OPEN, C.TEXT, C.NO_PHOTO, C.EVERYONE, C.SCHEDULE, C.SEND], {}, Step.CLOSED),
    ([C.OPEN, C.TEXT, C.DISCARD], {}, Step.CLOSED),
]


@pytest.mark.parametrize(("choices", "conditions", "end"), COMPOSING)
def test_the_composer_follows_the_administrators_steps(
    choices: list[Choice], conditions: dict[str, bool], end: Step
) -> None:
    step: str | None = None
    for choice in choices:
        # The photo condition only decides the step after the text.
        step = next_step(step, choice, **(conditions if choice == C.TEXT else {}))
    assert step == end


@pytest.mark.parametrize(
    ("step", "choice"),
    [
        (Step.TEXT, C.SEND),  # nothing to send yet
        (Step.PHOTO, C.EVERYONE),  # the photo first
        (Step.AUDIENCE, C.TEST),  # no audience chosen yet
        (Step.CONFIRM, C.NO_PHOTO),  # a button from an older message
        (Step.SCHEDULE, C.TEXT),
        (None, C.SEND),  # sent already
        (None, C.DISCARD),
    ],
)
def test_composer_steps_out_of_order_are_refused(step: Step | None, choice: Choice) -> None:
    with pytest.raises(InvalidMove, match="does not follow"):
        next_step(step, choice)


async def test_progress_only_reads_and_finishing_is_its_own_move(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST), Member(FIRST + 1)])
    admin = fast.person(ADMIN)
    await compose(admin, "新的通知")
    await admin.tap("✅ 确认发送")
    database, _, runner = parts(fast)
    while await runner.step():
        pass
    while await fast.dispatch():
        pass
    broadcast = await latest_broadcast(fast)
    async with database.transaction() as session:
        found = await session.get(type(broadcast), broadcast.id)
        assert found is not None and found.status == S.SENDING  # the loop has not finished it
        current = await broadcasts.progress(session, found, now=found.started_at)
        assert current.remaining == 0 and current.sent == 2
        assert found.status == S.SENDING and found.finished_at is None and not found.stats
        assert await broadcasts.finish(session, found, now=found.started_at)
        assert found.status == S.FINISHED and found.stats["sent"] == 2
        assert not await broadcasts.finish(session, found, now=found.started_at)
