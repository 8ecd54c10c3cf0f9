"""An application's own status, table-driven: the window's decisions and the closing."""

import pytest

from bot.casework.application_status import (
    ApplicationAction,
    InvalidMove,
    may,
    move,
    next_status,
)
from storage.models import Application, ApplicationStatus

S, A = ApplicationStatus, ApplicationAction

PATHS = [
    ([A.ACCEPT], S.ACCEPTED),
    ([A.ACCEPT, A.CLOSE], S.CLOSED),
    ([A.REJECT], S.REJECTED),
    # documents first, the resident sends them, then the window decides
    ([A.REQUEST_DOCUMENTS, A.DOCUMENTS_RECEIVED, A.ACCEPT, A.CLOSE], S.CLOSED),
    ([A.REQUEST_DOCUMENTS, A.ACCEPT], S.ACCEPTED),
    ([A.REQUEST_DOCUMENTS, A.REQUEST_DOCUMENTS, A.REJECT], S.REJECTED),
]


@pytest.mark.parametrize(("actions", "end"), PATHS)
def test_the_windows_paths(actions: list[ApplicationAction], end: ApplicationStatus) -> None:
    status: str = S.SUBMITTED
    for action in actions:
        status = next_status(status, action)
    assert status == end


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (S.REJECTED, A.ACCEPT, "already rejected"),
        (S.CLOSED, A.CLOSE, "already closed"),
        (S.ACCEPTED, A.REJECT, "already decided"),
        (S.ACCEPTED, A.REQUEST_DOCUMENTS, "already decided"),
        (S.SUBMITTED, A.CLOSE, "only an accepted application"),
        (S.DOCUMENTS_REQUESTED, A.CLOSE, "only an accepted application"),
        (S.SUBMITTED, A.DOCUMENTS_RECEIVED, "no documents were asked for"),
        (S.ACCEPTED, "fly", "unknown action"),
        ("lost", A.ACCEPT, "unknown status"),
    ],
)
def test_refused_moves_say_why(status: str, action: str, message: str) -> None:
    with pytest.raises(InvalidMove, match=message):
        next_status(status, action)
    assert not may(status, action)


def test_move_changes_the_row_only_when_allowed() -> None:
    application = Application(status=S.SUBMITTED)
    assert move(application, A.ACCEPT) == S.ACCEPTED
    assert application.status == S.ACCEPTED
    with pytest.raises(InvalidMove):
        move(application, A.REJECT)
    assert application.status == S.ACCEPTED


def test_the_machine_is_shared_and_left_clean() -> None:
    from bot.casework import application_status

    for _ in range(3):
        next_status(S.SUBMITTED, A.ACCEPT)
        with pytest.raises(InvalidMove):
            next_status(S.CLOSED, A.ACCEPT)
    assert application_status._MACHINE.models == []
