"""The fake Bot API enforces Telegram's limits only when asked to (for the benchmark)."""

from __future__ import annotations

from sandbox.botapi import BotApiState
from sandbox.limits import SendLimits


def _send(state: BotApiState, chat_id: int) -> dict[str, object]:
    return state.call("sendMessage", {"chat_id": chat_id, "text": "hi"})


def test_no_limits_by_default() -> None:
    state = BotApiState()
    for user in range(1, 61):
        state.add_user(user, "x")
        state.make_update_text(user, "/start")
        assert _send(state, user)["ok"]


def test_over_the_limit_is_a_429_with_retry_after() -> None:
    state = BotApiState(send_limits=SendLimits(overall_per_second=5, tolerance=0))
    for user in range(1, 8):
        state.add_user(user, "x")
        state.make_update_text(user, "/start")
    answers = [_send(state, user) for user in range(1, 8)]
    assert [a["ok"] for a in answers] == [True] * 5 + [False] * 2
    assert answers[-1]["error_code"] == 429
    assert answers[-1]["parameters"] == {"retry_after": 1}
    # One private chat: a burst of 3, then 1 per second.
    single = BotApiState(send_limits=SendLimits(overall_per_second=100, tolerance=0))
    single.add_user(1, "x")
    single.make_update_text(1, "/start")
    assert [_send(single, 1)["ok"] for _ in range(4)] == [True, True, True, False]
