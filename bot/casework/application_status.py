"""An application's own status, as one `transitions` machine shared by every application.

Next to the task machine (`tasks.py`): the window accepts an application, asks for documents
first (and the resident's "all sent" brings it back to the window), or refuses it; once every
department task has ended, it is closed. Nothing else moves it, and a move that does not
follow (accepting a refused application, closing one still at the window) is refused in plain
words.
"""

from __future__ import annotations

from enum import StrEnum

from bot import machines
from storage.models import Application, ApplicationStatus


class ApplicationAction(StrEnum):
    ACCEPT = "accept"  # the window accepted it and routed every part
    REQUEST_DOCUMENTS = "request_documents"  # the window asks for documents first
    DOCUMENTS_RECEIVED = "documents_received"  # the resident says all are sent
    REJECT = "reject"  # the window refused it, with a reason
    CLOSE = "close"  # every department task has ended


S, A = ApplicationStatus, ApplicationAction
# Still at the window: the window may act on it.
AT_WINDOW = [S.SUBMITTED, S.DOCUMENTS_REQUESTED]

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": A.ACCEPT, "source": AT_WINDOW, "dest": S.ACCEPTED},
    {"trigger": A.REQUEST_DOCUMENTS, "source": AT_WINDOW, "dest": S.DOCUMENTS_REQUESTED},
    {"trigger": A.DOCUMENTS_RECEIVED, "source": S.DOCUMENTS_REQUESTED, "dest": S.SUBMITTED},
    {"trigger": A.REJECT, "source": AT_WINDOW, "dest": S.REJECTED},
    {"trigger": A.CLOSE, "source": S.ACCEPTED, "dest": S.CLOSED},
]


class InvalidMove(Exception):
    """The move does not follow from the application's status; the message says why."""


class _Application:
    """The light model attached for one move."""

    state: str


_MACHINE = machines.shared_machine(ApplicationStatus, TRANSITIONS, ApplicationStatus.SUBMITTED)


def next_status(status: str, action: str) -> ApplicationStatus:
    """Where ``action`` takes an application in ``status``; InvalidMove when it may not."""
    if action not in ApplicationAction.__members__.values():
        raise InvalidMove(f"unknown action {action!r}")
    # Plain strings: transitions would read an Enum member by its name, not its value.
    status, action = str(status), str(action)
    if status not in ApplicationStatus.__members__.values():
        raise InvalidMove(f"unknown status {status!r}")
    after = machines.move(_MACHINE, _Application(), status, action)
    if after is None:
        raise _why_not(status, action)
    return ApplicationStatus(after)


def may(status: str, action: str) -> bool:
    """Whether ``action`` follows from ``status``."""
    try:
        next_status(status, action)
    except InvalidMove:
        return False
    return True


def move(application: Application, action: ApplicationAction) -> ApplicationStatus:
    """Move ``application`` by ``action`` (InvalidMove, and nothing changed, when refused)."""
    application.status = str(next_status(application.status, action))
    return ApplicationStatus(application.status)


def _why_not(status: str, action: str) -> InvalidMove:
    if status in (S.REJECTED, S.CLOSED):
        return InvalidMove(f"the application is already {status}")
    if action == A.CLOSE:
        return InvalidMove("only an accepted application is closed when its parts are done")
    if action == A.DOCUMENTS_RECEIVED:
        return InvalidMove("no documents were asked for by the window")
    return InvalidMove(f"the window has already decided ('{action}' does not follow '{status}')")
