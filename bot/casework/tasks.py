"""A department task's statutory path, as one `transitions` machine shared by every task.

Actions a department may take depend on where the task stands and on what the rules and the
clock say about it today (`Conditions`): accept, schedule and record the home visit (入户调查),
ask for documents, record the town's opinion after the economic check, start the public notice
(公示, not for children), record an objection raised during it (back to re-investigation), end
it once its full days have run, approve, reject, refer, extend the time limit once with a
reason, and record payment or the start of the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.machines import move, shared_machine


class TaskState(StrEnum):
    AT_WINDOW = "at_window"  # waiting for the town window to accept the application
    RECEIVED = "received"  # forwarded to the department
    ACCEPTED = "accepted"
    VISIT_SCHEDULED = "visit_scheduled"
    DOCUMENTS_NEEDED = "documents_needed"
    CHECK_DONE = "check_done"  # the household economic check is done, the town has its opinion
    NOTICE_STARTED = "notice_started"
    NOTICE_ENDED = "notice_ended"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFERRED = "referred"
    PAID = "paid"  # paid, or the service has started
    WITHDRAWN = "withdrawn"  # the window refused the whole application
    VISITED = "visited"  # the home visit has been made
    REINVESTIGATING = "reinvestigating"  # an objection during the notice: investigate again


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
    VISIT_DONE = "visit_done"
    OBJECTION = "objection"
    EXTEND = "extend"


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the rules and the clock say about one task today: the machine's conditions.

    The defaults are those of a task whose programme asks for nothing beyond the plain path.
    """

    needs_public_notice: bool
    home_visit_required: bool = False  # the rule wants a home visit before the town's opinion
    visit_done: bool = False
    visit_day_reached: bool = True  # today is on or after the booked visit day
    notice_over: bool = True  # the public notice's full days have run
    extendable: bool = False  # the rule allows one extension and it has not been used


FINAL = frozenset({TaskState.REJECTED, TaskState.REFERRED, TaskState.PAID, TaskState.WITHDRAWN})
OPEN = [s for s in TaskState if s not in FINAL]
S, A = TaskState, TaskAction
WORKING = [S.ACCEPTED, S.VISIT_SCHEDULED, S.VISITED, S.CHECK_DONE, S.REINVESTIGATING]
INVESTIGATING = [S.ACCEPTED, S.VISIT_SCHEDULED, S.VISITED, S.REINVESTIGATING]
DECIDING = [s for s in OPEN if s not in (S.AT_WINDOW, S.APPROVED)]

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": A.FORWARD, "source": S.AT_WINDOW, "dest": S.RECEIVED},
    {"trigger": A.WITHDRAW, "source": S.AT_WINDOW, "dest": S.WITHDRAWN},
    {"trigger": A.ACCEPT, "source": S.RECEIVED, "dest": S.ACCEPTED},
    {
        "trigger": A.SCHEDULE_VISIT,
        "source": [*INVESTIGATING, S.DOCUMENTS_NEEDED],
        "dest": S.VISIT_SCHEDULED,
    },
    {
        "trigger": A.VISIT_DONE,
        "source": S.VISIT_SCHEDULED,
        "dest": S.VISITED,
        "conditions": "visit_day_reached",
    },
    {"trigger": A.NEED_DOCUMENTS, "source": WORKING, "dest": S.DOCUMENTS_NEEDED},
    {"trigger": A.DOCUMENTS_RECEIVED, "source": S.DOCUMENTS_NEEDED, "dest": S.ACCEPTED},
    {
        "trigger": A.CHECK_DONE,
        "source": INVESTIGATING,
        "dest": S.CHECK_DONE,
        "conditions": "visit_requirement_met",
    },
    {
        "trigger": A.START_NOTICE,
        "source": S.CHECK_DONE,
        "dest": S.NOTICE_STARTED,
        "conditions": "needs_public_notice",
    },
    {
        "trigger": A.END_NOTICE,
        "source": S.NOTICE_STARTED,
        "dest": S.NOTICE_ENDED,
        "conditions": "notice_over",
    },
    {"trigger": A.OBJECTION, "source": S.NOTICE_STARTED, "dest": S.REINVESTIGATING},
    # Programmes without a home visit or a notice may be approved once taken on.
    {
        "trigger": A.APPROVE,
        "source": WORKING,
        "dest": S.APPROVED,
        "unless": ["needs_public_notice", "home_visit_required"],
    },
    # A child's case under a programme with a home visit: after the town's opinion, no notice.
    {
        "trigger": A.APPROVE,
        "source": S.CHECK_DONE,
        "dest": S.APPROVED,
        "conditions": "home_visit_required",
        "unless": "needs_public_notice",
    },
    {"trigger": A.APPROVE, "source": S.NOTICE_ENDED, "dest": S.APPROVED},
    {"trigger": A.REJECT, "source": DECIDING, "dest": S.REJECTED},
    {
        "trigger": A.REFER,
        "source": [S.RECEIVED, *WORKING, S.DOCUMENTS_NEEDED],
        "dest": S.REFERRED,
    },
    {"trigger": A.START_PAYMENT, "source": S.APPROVED, "dest": S.PAID},
    # The time limit moves, the task stays where it is.
    {"trigger": A.EXTEND, "source": DECIDING, "dest": None, "conditions": "extendable"},
]


class InvalidAction(Exception):
    """The action does not follow from where the task stands; the message says why.

    ``code`` names the reason for the staff's own words (labels ``dept.invalid.<code>``).
    """

    def __init__(self, message: str, code: str = "sequence") -> None:
        super().__init__(message)
        self.code = code


class _Task:
    """The light model attached for one decision."""

    state: str

    def __init__(self, conditions: Conditions) -> None:
        self.needs_public_notice = conditions.needs_public_notice
        self.home_visit_required = conditions.home_visit_required
        self.visit_day_reached = conditions.visit_day_reached
        self.notice_over = conditions.notice_over
        self.extendable = conditions.extendable
        self.visit_requirement_met = conditions.visit_done or not conditions.home_visit_required


_MACHINE = shared_machine(TaskState, TRANSITIONS, TaskState.AT_WINDOW)


def next_state(
    state: str,
    action: str,
    *,
    needs_public_notice: bool = False,
    conditions: Conditions | None = None,
) -> TaskState:
    """Where ``action`` takes a task in ``state``; InvalidAction when it may not be taken."""
    if action not in TaskAction.__members__.values():
        raise InvalidAction(f"unknown action {action!r}", "unknown")
    given = conditions or Conditions(needs_public_notice=needs_public_notice)
    task = _Task(given)
    # Plain strings: transitions would read an Enum member by its name, not its value.
    state, action = str(state), str(action)
    if state not in TaskState.__members__.values():
        raise InvalidAction(f"unknown state {state!r}", "unknown")
    after = move(_MACHINE, task, state, action)
    if after is None:
        raise _why_not(state, action, given)
    return TaskState(after)


def allowed_actions(
    state: str, *, needs_public_notice: bool = False, conditions: Conditions | None = None
) -> list[TaskAction]:
    """The actions a department may take now, in the order of the statutory path."""
    given = conditions or Conditions(needs_public_notice=needs_public_notice)
    return list(_allowed(str(state), given))


@cache
def _allowed(state: str, conditions: Conditions) -> tuple[TaskAction, ...]:
    # A pure function of the state and the conditions, asked for every card shown: worked
    # out once per combination.
    allowed: list[TaskAction] = []
    for action in TaskAction:
        if action in (A.FORWARD, A.WITHDRAW, A.DOCUMENTS_RECEIVED):
            continue  # the window and the resident take these, not the department
        try:
            next_state(state, action, conditions=conditions)
        except InvalidAction:
            continue
        allowed.append(action)
    return tuple(allowed)


def _why_not(state: str, action: str, given: Conditions) -> InvalidAction:
    if state in FINAL:
        return InvalidAction(f"the task is already {state}", "final")
    if action == A.END_NOTICE and state == S.NOTICE_STARTED:
        return InvalidAction(
            "the public notice runs its full days and cannot be ended early", "notice_running"
        )
    if action == A.OBJECTION:
        return InvalidAction(
            "an objection can only be recorded while the public notice is up", "objection"
        )
    if action == A.VISIT_DONE and state == S.VISIT_SCHEDULED:
        return InvalidAction(
            "the home visit cannot be recorded as done before its day", "visit_day"
        )
    if action == A.EXTEND and state in DECIDING:
        return InvalidAction(
            "the time limit can be extended only once, where the rule allows it", "extend"
        )
    if action == A.CHECK_DONE and state in INVESTIGATING and not given.visit_done:
        return InvalidAction(
            "the rule requires a home visit before the town's opinion", "visit_first"
        )
    if action == A.APPROVE and given.needs_public_notice and state != S.NOTICE_ENDED:
        return InvalidAction(
            "approval needs the economic check and the 7-day public notice to be done first",
            "approve_notice",
        )
    if action == A.APPROVE and given.home_visit_required and state in INVESTIGATING:
        return InvalidAction(
            "approval needs the home visit, the economic check and the town's opinion first",
            "approve_check",
        )
    if action == A.START_NOTICE and not given.needs_public_notice:
        return InvalidAction(
            "this task has no public notice (children's cases are never made public)", "no_notice"
        )
    return InvalidAction(f"'{action}' does not follow from '{state}'")
