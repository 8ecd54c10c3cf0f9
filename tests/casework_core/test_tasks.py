"""The department task's statutory path, table-driven."""

from dataclasses import replace

import pytest

from bot.casework.tasks import (
    Conditions,
    InvalidAction,
    TaskAction,
    TaskState,
    allowed_actions,
    next_state,
)

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


# ---- the rules and the clock (Conditions) -------------------------------------------------

DIBAO = Conditions(needs_public_notice=True, home_visit_required=True, extendable=True)
VISITED = replace(DIBAO, visit_done=True)
CHILD_DIBAO = replace(VISITED, needs_public_notice=False)  # a child: never a public notice

RULES = [
    # (the case, state, action, conditions, the plain reason given)
    ("the town's opinion before the home visit", S.ACCEPTED, A.CHECK_DONE, DIBAO, "visit_first"),
    (
        "approval before the visit (no notice)",
        S.ACCEPTED,
        A.APPROVE,
        replace(DIBAO, needs_public_notice=False),
        "approve_check",
    ),
    (
        "the visit recorded before its day",
        S.VISIT_SCHEDULED,
        A.VISIT_DONE,
        replace(DIBAO, visit_day_reached=False),
        "visit_day",
    ),
    (
        "the notice ended on its 7th day",
        S.NOTICE_STARTED,
        A.END_NOTICE,
        replace(VISITED, notice_over=False),
        "notice_running",
    ),
    ("an objection after the notice ended", S.NOTICE_ENDED, A.OBJECTION, VISITED, "objection"),
    ("an objection before any notice", S.CHECK_DONE, A.OBJECTION, VISITED, "objection"),
    ("a second extension", S.ACCEPTED, A.EXTEND, replace(DIBAO, extendable=False), "extend"),
    ("approval during the notice", S.NOTICE_STARTED, A.APPROVE, VISITED, "approve_notice"),
]


@pytest.mark.parametrize(
    ("case", "state", "action", "conditions", "code"), RULES, ids=[r[0] for r in RULES]
)
def test_the_rules_refuse_out_of_order_with_a_reason(
    case: str, state: TaskState, action: TaskAction, conditions: Conditions, code: str
) -> None:
    with pytest.raises(InvalidAction) as refused:
        next_state(state, action, conditions=conditions)
    assert refused.value.code == code, case


def test_an_objection_sends_the_task_back_to_investigation_then_a_new_notice() -> None:
    state: str = S.NOTICE_STARTED
    for action in (A.OBJECTION, A.CHECK_DONE, A.START_NOTICE, A.END_NOTICE, A.APPROVE):
        state = next_state(state, action, conditions=VISITED)
    assert state == S.APPROVED


def test_a_childs_case_is_decided_after_the_visit_without_a_notice() -> None:
    state: str = S.RECEIVED
    for action in (A.ACCEPT, A.SCHEDULE_VISIT, A.VISIT_DONE, A.CHECK_DONE, A.APPROVE):
        state = next_state(state, action, conditions=CHILD_DIBAO)
    assert state == S.APPROVED
    assert A.START_NOTICE not in allowed_actions(S.CHECK_DONE, conditions=CHILD_DIBAO)


def test_an_extension_keeps_the_task_where_it_stands() -> None:
    assert next_state(S.NOTICE_ENDED, A.EXTEND, conditions=VISITED) == S.NOTICE_ENDED
    assert A.EXTEND in allowed_actions(S.ACCEPTED, conditions=DIBAO)
    assert A.EXTEND not in allowed_actions(S.APPROVED, conditions=DIBAO)
