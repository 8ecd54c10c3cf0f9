"""A department task's statutory path, as one `transitions` machine shared by every task.

Actions a department may take depend on where the task stands: accept, schedule a home visit,
ask for documents, record the economic check, start and end the 7-day public notice (公示, not
for children), approve, reject, refer, and record payment or the start of the service.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from transitions import Machine, MachineError


class TaskState(StrEnum):
    AT_WINDOW = "at_window"  # waiting for the town window to accept the application
    RECEIVED = "received"  # forwarded to the department
    ACCEPTED = "accepted"
    VISIT_SCHEDULED = "visit_scheduled"
    DOCUMENTS_NEEDED = "documents_needed"
    CHECK_DONE = "check_done"  # the household economic check is done
    NOTICE_STARTED = "notice_started"
    NOTICE_ENDED = "notice_ended"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFERRED = "referred"
    PAID = "paid"  # paid, or the service has started
    WITHDRAWN = "withdrawn"  # the window refused the whole application


class TaskAction(StrEnum):
    FORWARD = "forward"  # the window accepted the application
    ACCEPT = "accept"
    SCHEDULE_VISIT = "schedule_visit"
    NEED_DOCUMENTS = "need_documents"
    DOCUMENTS_RECEIVED = "documents_received"
    CHECK_DONE = "check_done"
    START_NOTICE = "start_notice"
    END_NOTICE = "end_notice"
    APPROVE = "approve"
    REJECT = "reject"
    REFER = "refer"
    START_PAYMENT = "start_payment"
    WITHDRAW = "withdraw"


FINAL = frozenset({TaskState.REJECTED, TaskState.REFERRED, TaskState.PAID, TaskState.WITHDRAWN})
OPEN = [s for s in TaskState if s not in FINAL]
WORKING = [TaskState.ACCEPTED, TaskState.VISIT_SCHEDULED, TaskState.CHECK_DONE]
S, A = TaskState, TaskAction

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": A.FORWARD, "source": S.AT_WINDOW, "dest": S.RECEIVED},
    {"trigger": A.WITHDRAW, "source": S.AT_WINDOW, "dest": S.WITHDRAWN},
    {"trigger": A.ACCEPT, "source": S.RECEIVED, "dest": S.ACCEPTED},
    {
        "trigger": A.SCHEDULE_VISIT,
        "source": [S.ACCEPTED, S.VISIT_SCHEDULED, S.DOCUMENTS_NEEDED],
        "dest": S.VISIT_SCHEDULED,
    },
    {"trigger": A.NEED_DOCUMENTS, "source": WORKING, "dest": S.DOCUMENTS_NEEDED},
    {"trigger": A.DOCUMENTS_RECEIVED, "source": S.DOCUMENTS_NEEDED, "dest": S.ACCEPTED},
    {
        "trigger": A.CHECK_DONE,
        "source": [S.ACCEPTED, S.VISIT_SCHEDULED],
        "dest": S.CHECK_DONE,
    },
    {
        "trigger": A.START_NOTICE,
        "source": S.CHECK_DONE,
        "dest": S.NOTICE_STARTED,
        "conditions": "needs_public_notice",
    },
    {"trigger": A.END_NOTICE, "source": S.NOTICE_STARTED, "dest": S.NOTICE_ENDED},
    {
        "trigger": A.APPROVE,
        "source": WORKING,
        "dest": S.APPROVED,
        "unless": "needs_public_notice",
    },
    {"trigger": A.APPROVE, "source": S.NOTICE_ENDED, "dest": S.APPROVED},
    {
        "trigger": A.REJECT,
        "source": [s for s in OPEN if s not in (S.AT_WINDOW, S.APPROVED)],
        "dest": S.REJECTED,
    },
    {
        "trigger": A.REFER,
        "source": [S.RECEIVED, *WORKING, S.DOCUMENTS_NEEDED],
        "dest": S.REFERRED,
    },
    {"trigger": A.START_PAYMENT, "source": S.APPROVED, "dest": S.PAID},
]


class InvalidAction(Exception):
    """The action does not follow from where the task stands; the message says why."""


class _Task:
    """The light model attached for one decision."""

    state: str

    def __init__(self, needs_public_notice: bool) -> None:
        self.needs_public_notice = needs_public_notice


def _plain(value: object) -> object:
    # transitions treats Enum members as enum states (by name); we keep plain string values.
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value) if isinstance(value, StrEnum) else value


_MACHINE = Machine(
    model=None,
    states=[str(state) for state in TaskState],
    transitions=[{k: _plain(v) for k, v in t.items()} for t in TRANSITIONS],
    initial=str(TaskState.AT_WINDOW),
    auto_transitions=False,
    send_event=False,
)


def next_state(state: str, action: str, *, needs_public_notice: bool) -> TaskState:
    """Where ``action`` takes a task in ``state``; InvalidAction when it may not be taken."""
    if action not in TaskAction.__members__.values():
        raise InvalidAction(f"unknown action {action!r}")
    task = _Task(needs_public_notice)
    # Plain strings: transitions would read an Enum member by its name, not its value.
    state, action = str(state), str(action)
    if state not in TaskState.__members__.values():
        raise InvalidAction(f"unknown state {state!r}")
    _MACHINE.add_model(task, initial=state)
    try:
        if not task.trigger(action):  # type: ignore[attr-defined]
            raise InvalidAction(_why_not(state, action, needs_public_notice))
        return TaskState(task.state)
    except MachineError:
        raise InvalidAction(_why_not(state, action, needs_public_notice)) from None
    finally:
        _MACHINE.remove_model(task)


def allowed_actions(state: str, *, needs_public_notice: bool) -> list[TaskAction]:
    """The actions a department may take now, in the order of the statutory path."""
    return list(_allowed(str(state), needs_public_notice))


@cache
def _allowed(state: str, needs_public_notice: bool) -> tuple[TaskAction, ...]:
    # A pure function of the state and the flag, asked for every card shown: worked out once.
    allowed: list[TaskAction] = []
    for action in TaskAction:
        if action in (A.FORWARD, A.WITHDRAW, A.DOCUMENTS_RECEIVED):
            continue  # the window and the resident take these, not the department
        try:
            next_state(state, action, needs_public_notice=needs_public_notice)
        except InvalidAction:
            continue
        allowed.append(action)
    return tuple(allowed)


def _why_not(state: str, action: str, needs_public_notice: bool) -> str:
    if state in FINAL:
        return f"the task is already {state}"
    if action == A.APPROVE and needs_public_notice and state != S.NOTICE_ENDED:
        return "approval needs the economic check and the 7-day public notice to be done first"
    if action == A.START_NOTICE and not needs_public_notice:
        return "this task has no public notice (children's cases are never made public)"
    return f"'{action}' does not follow from '{state}'"
