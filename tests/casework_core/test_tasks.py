"""The department task's statutory path, table-driven."""

import pytest

from bot.casework.tasks import InvalidAction, TaskAction, TaskState, allowed_actions, next_state

S, A = TaskState, TaskAction

PATHS = [
    # dibao for an adult: check, 7-day notice, approve, pay
    (
        True,
        [
            A.FORWARD,
            A.ACCEPT,
            A.SCHEDULE_VISIT,
            A.CHECK_DONE,
            A.START_NOTICE,
            A.END_NOTICE,
            A.APPROVE,
            A.START_PAYMENT,
        ],
        S.PAID,
    ),
    # a child's case: never a public notice
    (False, [A.FORWARD, A.ACCEPT, A.CHECK_DONE, A.APPROVE, A.START_PAYMENT], S.PAID),
    # documents asked for, received, then approved
    (False, [A.FORWARD, A.ACCEPT, A.NEED_DOCUMENTS, A.DOCUMENTS_RECEIVED, A.APPROVE], S.APPROVED),
    (True, [A.FORWARD, A.ACCEPT, A.REJECT], S.REJECTED),
    (False, [A.FORWARD, A.REFER], S.REFERRED),
    (True, [A.WITHDRAW], S.WITHDRAWN),
]


@pytest.mark.parametrize(("notice", "actions", "end"), PATHS)
def test_statutory_paths(notice: bool, actions: list[TaskAction], end: TaskState) -> None:
    state: str = S.AT_WINDOW
    for action in actions:
        state = next_state(state, action, needs_public_notice=notice)
    assert state == end


@pytest.mark.parametrize(
    ("state", "action", "notice", "message"),
    [
        (S.ACCEPTED, A.APPROVE, True, "public notice"),
        (S.CHECK_DONE, A.START_NOTICE, False, "children"),
        (S.PAID, A.REJECT, False, "already paid"),
        (S.RECEIVED, A.START_PAYMENT, False, "does not follow"),
        (S.AT_WINDOW, A.ACCEPT, False, "does not follow"),
        (S.ACCEPTED, "fly", False, "unknown action"),
    ],
)
def test_invalid_actions_are_refused_with_a_reason(
    state: TaskState, action: str, notice: bool, message: str
) -> None:
    with pytest.raises(InvalidAction, match=message):
        next_state(state, action, needs_public_notice=notice)


def test_buttons_follow_the_path() -> None:
    assert allowed_actions(S.RECEIVED, needs_public_notice=True) == [A.ACCEPT, A.REJECT, A.REFER]
    assert A.APPROVE not in allowed_actions(S.CHECK_DONE, needs_public_notice=True)
    assert A.APPROVE in allowed_actions(S.CHECK_DONE, needs_public_notice=False)
    assert allowed_actions(S.PAID, needs_public_notice=False) == []
