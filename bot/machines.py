"""Shared `transitions` machines: one machine per kind of thing, built once at import, and a
light model attached for one move (``add_model`` … ``remove_model``), never a machine per move.

Used by the department task (`casework/tasks.py`), the application's status
(`casework/application_status.py`), the broadcast's lifecycle and the broadcast
composer (`notices/lifecycle.py`, `notices/composer.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from transitions import Machine, MachineError


def _plain(value: object) -> object:
    # transitions treats Enum members as enum states (by name); we keep plain string values.
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value) if isinstance(value, StrEnum) else value


def shared_machine(
    states: Iterable[str], transitions: Iterable[Mapping[str, object]], initial: str
) -> Machine:
    """A machine without a model of its own, without ``to_<state>`` triggers, whose states
    and triggers are plain strings (the values of the StrEnums they are declared with)."""
    return Machine(
        model=None,
        states=[str(state) for state in states],
        transitions=[{k: _plain(v) for k, v in t.items()} for t in transitions],
        initial=str(initial),
        auto_transitions=False,
        send_event=False,
    )


def move(machine: Machine, model: object, state: str, trigger: str) -> str | None:
    """The state ``trigger`` takes ``model`` to from ``state`` (its conditions read from the
    model), or None when the trigger does not follow or a condition says no."""
    machine.add_model(model, initial=str(state))
    try:
        if not model.trigger(str(trigger)):  # type: ignore[attr-defined]
            return None
        return str(model.state)  # type: ignore[attr-defined]
    except MachineError:
        return None
    finally:
        machine.remove_model(model)
