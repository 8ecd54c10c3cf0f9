"""The questions a card asks in place of its buttons: which documents, which reason, a note,
a visit day, a start month, a department — each a prompt text and its keyboard.

The window's alert and a department's card ask them alike; each passes its own ``Presses``
(how its buttons' data is built), so the choices live in the callback data and nothing is
held in memory between presses. A prompt that wants typed text carries a cancel button whose
data (``x|<what>…``) also tells the handler what a reply to the card answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from bot.casework.checklist import document_name
from bot.casework.notifications import Reason
from bot.casework.services import Casework
from bot.casework.workdays import is_working_day
from bot.flows.model import Button, Label
from bot.staff import typed as read
from bot.staff.replies import Keyboard, StaffReply, label

VISIT_CHOICES = 5  # working days offered as buttons for the home visit
MONTH_CHOICES = 3  # start months offered as buttons after an amount


class Presses(Protocol):
    """The data of a button on this card: its verb and arguments."""

    def __call__(self, verb: str, *args: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    keyboard: Keyboard


def rows_of(buttons: Sequence[Button], width: int = 2) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def cancel(press: Presses, *waiting: str) -> tuple[Button, ...]:
    """Cancel the prompt; ``waiting`` names what typed text answers (``x|rj|<reason>``)."""
    return (Button(Label.of("staff.cancel"), press("x", *waiting)),)


@dataclass(frozen=True, slots=True)
class DocumentPicker:
    """Which documents to ask for: toggle buttons (☑/☐) for each, then send, or go back. The
    selection is a bit mask kept in the buttons' data (``<toggle>|<mask>|<index>``,
    ``<confirm>|<mask>``)."""

    casework: Casework
    press: Presses
    items: Sequence[str]
    toggle: str
    confirm: str
    back: str

    def answer(
        self, verb: str, args: Sequence[str], *, ticked: int = 0
    ) -> Prompt | list[str] | None:
        """The picker after ``verb`` (opened with ``ticked``, or a toggle), or the documents
        chosen when confirmed (perhaps none); None for a mask or index that does not fit."""
        if verb not in (self.toggle, self.confirm):
            return self.prompt(ticked)
        mask = read.parse_mask(args[0], len(self.items))
        if verb == self.confirm:
            return None if mask is None else read.picked(self.items, mask)
        index = read.index_of(args[1], len(self.items))
        if mask is None or index is None:
            return None
        return self.prompt(mask ^ (1 << index))

    async def chosen(
        self,
        verb: str,
        args: Sequence[str],
        *,
        show: Callable[[Prompt], Awaitable[StaffReply]],
        forged: Callable[[], StaffReply],
        ticked: int = 0,
    ) -> list[str] | StaffReply:
        """The documents chosen once confirmed (never none), else the reply to give now: the
        picker shown again, a nudge to pick one, or ``forged`` for data that does not fit."""
        answer = self.answer(verb, args, ticked=ticked)
        if answer is None:
            return forged()
        if isinstance(answer, Prompt):
            return await show(answer)
        if not answer:
            return StaffReply(toast=label(self.casework, "staff.pick_one"))
        return answer

    def prompt(self, mask: int) -> Prompt:
        rows: list[tuple[Button, ...]] = []
        for index, item in enumerate(self.items):
            mark = "☑️" if mask >> index & 1 else "⬜"
            name = document_name(self.casework, item)
            rows.append(
                (Button(f"{mark} {name}", self.press(self.toggle, f"{mask:x}", str(index))),)
            )
        rows.append(
            (
                Button(Label.of("staff.send_request"), self.press(self.confirm, f"{mask:x}")),
                Button(Label.of("staff.back"), self.press(self.back)),
            )
        )
        return Prompt(label(self.casework, "staff.prompt.documents"), tuple(rows))


@dataclass(frozen=True, slots=True)
class ReasonPicker:
    """Why not: one button per reason (``<choose>|<code>``), then a note typed in reply to the
    card, or none (``rn|<code>``) — except for "other", which means nothing without one."""

    casework: Casework
    press: Presses
    codes: Sequence[str]
    choose: str
    back: str
    key: str  # the label asking for the reason
    without_note: str  # the label of the button that goes on without a note

    def answer(self, verb: str, args: Sequence[str]) -> Prompt | Reason | None:
        """The reasons (at first), the note prompt once one is chosen, or the reason without
        a note; None for a reason not on the list (or "other" without a note)."""
        if verb not in (self.choose, "rn"):
            rows = (
                *(
                    (Button(Label.of(f"reason.{c}"), self.press(self.choose, c)),)
                    for c in self.codes
                ),
                (Button(Label.of("staff.back"), self.press(self.back)),),
            )
            return Prompt(label(self.casework, self.key), rows)
        code = args[0]
        if code not in self.codes or (verb == "rn" and code == "other"):
            return None
        if verb == "rn":
            return Reason(code)
        notes: list[tuple[Button, ...]] = []
        if code != "other":
            notes.append((Button(Label.of(self.without_note), self.press("rn", code)),))
        notes.append(cancel(self.press, "rj", code))
        key = "staff.prompt.note_required" if code == "other" else "staff.prompt.note"
        text = label(self.casework, key, reason=label(self.casework, f"reason.{code}"))
        return Prompt(text, tuple(notes))


def visit_day(casework: Casework, press: Presses) -> Prompt:
    """The next working days as buttons; a typed date answers too."""
    day, days = casework.today(), list[date]()
    while len(days) < VISIT_CHOICES:
        day += timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    buttons = [Button(d.strftime("%m-%d"), press("vd", f"{d:%Y%m%d}")) for d in days]
    rows = (tuple(buttons[:3]), tuple(buttons[3:]), cancel(press, "visit"))
    return Prompt(label(casework, "dept.prompt.visit"), rows)


def amount(casework: Casework, press: Presses) -> Prompt:
    return Prompt(label(casework, "dept.prompt.amount"), (cancel(press, "amount"),))


def start_month(casework: Casework, press: Presses, yuan: int) -> Prompt:
    """The amount is known: this month and the next ones as buttons."""
    today = casework.today()
    year, month, buttons = today.year, today.month, list[Button]()
    for _ in range(MONTH_CHOICES):
        buttons.append(Button(f"{year}-{month:02d}", press("am", str(yuan), f"{year}{month:02d}")))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    # Keep the cancel marker: a typed "800 2026-04" still answers this card.
    rows = (tuple(buttons), cancel(press, "amount"))
    return Prompt(label(casework, "dept.prompt.month", amount=yuan), rows)


def extension(casework: Casework, press: Presses, days: int | None) -> Prompt:
    return Prompt(label(casework, "dept.prompt.extend", days=days), (cancel(press, "ext"),))


def department(casework: Casework, press: Presses, current: str) -> Prompt:
    """Every other department, to refer the task to."""
    locale = casework.staff_locale
    others = [d for d in casework.profile.departments.values() if d.id != current]
    buttons = [Button(d.name.text(locale), press("rf", d.id)) for d in others]
    rows = (*rows_of(buttons), (Button(Label.of("staff.back"), press("card")),))
    return Prompt(label(casework, "dept.prompt.refer"), rows)
