"""The engine's handling of steps answered over several inputs: multi, documents, repeat.

Their partial answers live in the dialog view until the step is complete; the reading of each
input is in collecting.py. A mixin of FlowEngine, which provides what is declared below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.flows import collecting
from bot.flows.answers import read_tap, read_typed
from bot.flows.collecting import Move
from bot.flows.host import FlowHost, Turn
from bot.flows.model import Button, DialogState, Event, FileInput, Label, Outcome, press
from bot.flows.screens import answer_buttons
from bot.flows.spec import Flow, Step, StepKind


class CollectingSteps:
    flow: Flow
    host: FlowHost

    if TYPE_CHECKING:  # provided by FlowEngine

        def _accept(
            self, state: DialogState, step: Step, answer: Any, turn: Turn, fresh: bool
        ) -> Outcome: ...

        def _show(
            self,
            state: DialogState,
            turn: Turn,
            *,
            fresh: bool,
            hint: Label | None = None,
            events: list[Event] | None = None,
        ) -> Outcome: ...

    def _partial(self, state: DialogState, step: Step) -> Any:
        return state.view.get("partial", {}).get(step.name)

    def _set_partial(self, state: DialogState, step: Step, value: Any) -> None:
        partial = dict(state.view.get("partial", {}))
        if value is None:
            partial.pop(step.name, None)
        else:
            partial[step.name] = value
        if partial:
            state.view["partial"] = partial
        else:
            state.view.pop("partial", None)

    def _choices(self, state: DialogState, step: Step, turn: Turn) -> Mapping[str, str]:
        if step.source is not None:
            return self.host.choices(step.source, state, turn.locale)
        flow = self.flow.name
        return {o: turn.translate(Label(f"{flow}.{step.name}.{o}")) for o in step.options}

    def _apply_move(
        self, state: DialogState, step: Step, move: Move, turn: Turn, fresh: bool
    ) -> Outcome:
        if move.stale:
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        if move.complete:
            self._set_partial(state, step, None)
            return self._accept(state, step, move.answer, turn, fresh)
        return self._show(state, turn, fresh=fresh, hint=move.hint)

    def _collecting_tap(
        self, state: DialogState, step: Step, kind: str, value: str, turn: Turn
    ) -> Move:
        if step.kind is StepKind.MULTI:
            options = self._choices(state, step, turn)
            current = collecting.selected(
                self._partial(state, step), state.answers.get(step.name), options
            )
            if kind == "a" and value == "done":
                return collecting.finish_multi(current, step)
            toggled = collecting.toggle(current, value, options) if kind == "m" else None
            if toggled is None:
                return collecting.STALE
            self._set_partial(state, step, toggled)
            return collecting.SHOW
        if step.kind is StepKind.DOCUMENTS:
            if kind == "a" and value == "skip":
                return self._skip_document(state, step, turn)
            if kind == "a" and value == "skip_all":
                return self._skip_remaining_documents(state, step, turn)
            if kind == "a" and value == "done":
                return self._take_document(state, step, turn, None, finishing=True)
            return collecting.STALE
        return self._repeat_input(state, step, turn, tap=(kind, value))

    def _collecting_typed(self, state: DialogState, step: Step, text: str, turn: Turn) -> Move:
        if step.kind is StepKind.ID_NUMBER:
            move = collecting.read_id(text, turn.now.date())
            other = state.answers.get(step.differs_from) if step.differs_from else None
            if move.complete and other is not None and move.answer == other:
                # Someone applying for another person typed their own number by mistake.
                return collecting.hint("hint.id_same_as_applicant")
            return move
        if step.kind is StepKind.PHONE:
            return collecting.read_phone(text)
        if step.kind is StepKind.MULTI:
            options = self._choices(state, step, turn)
            current = collecting.selected(
                self._partial(state, step), state.answers.get(step.name), options
            )
            return collecting.read_multi(step, text, current, options)
        if step.kind is StepKind.DOCUMENTS:
            if collecting.is_skip(text):
                return self._skip_document(state, step, turn)
            return collecting.hint("hint.file_expected")
        return self._repeat_input(state, step, turn, typed=text)

    # documents

    def _documents(
        self, state: DialogState, step: Step, turn: Turn
    ) -> tuple[dict[str, Any], Mapping[str, str], str | None]:
        """What was handled so far, the checklist, and the item to ask for now."""
        checklist = self._choices(state, step, turn)
        done = self._partial(state, step)
        done = dict(done) if isinstance(done, dict) else {}
        left = collecting.remaining(done, checklist)
        return done, checklist, (left[0] if left else None)

    def _file(self, state: DialogState, step: Step, file: FileInput, turn: Turn) -> Move:
        read = collecting.file_record(step, file)
        if not read.complete:
            return read
        return self._take_document(state, step, turn, read.answer)

    def _skip_document(self, state: DialogState, step: Step, turn: Turn) -> Move:
        _, _, item = self._documents(state, step, turn)
        previous = state.answers.get(step.name)
        # Skipping an item sent before (when going through the list again) keeps that file.
        kept = previous.get(item) if isinstance(previous, dict) and item else None
        return self._take_document(state, step, turn, kept)

    def _skip_remaining_documents(self, state: DialogState, step: Step, turn: Turn) -> Move:
        """Every item not handled yet is left for later (files sent before are kept)."""
        done, checklist, _ = self._documents(state, step, turn)
        previous = state.answers.get(step.name)
        previous = previous if isinstance(previous, dict) else {}
        for item in collecting.remaining(done, checklist):
            done[item] = previous.get(item)
        return collecting.complete({i: done[i] for i in checklist})

    def _take_document(
        self,
        state: DialogState,
        step: Step,
        turn: Turn,
        record: dict[str, Any] | None,
        *,
        finishing: bool = False,
    ) -> Move:
        done, checklist, item = self._documents(state, step, turn)
        if item is not None and not finishing:
            done[item] = record
            self._set_partial(state, step, done)
        if collecting.remaining(done, checklist):
            return collecting.STALE if finishing else collecting.SHOW
        return collecting.complete({i: done[i] for i in checklist})

    # repeating groups

    def _records(self, state: DialogState, step: Step) -> dict[str, Any]:
        partial = self._partial(state, step)
        if isinstance(partial, dict):
            return {"records": list(partial["records"]), "current": partial["current"]}
        previous = state.answers.get(step.name)
        return {"records": list(previous) if isinstance(previous, list) else [], "current": None}

    def _repeat_input(
        self,
        state: DialogState,
        step: Step,
        turn: Turn,
        *,
        tap: tuple[str, str] | None = None,
        typed: str | None = None,
    ) -> Move:
        group = self._records(state, step)
        records: list[Any] = group["records"]
        current: dict[str, Any] | None = group["current"]
        if current is None:
            if typed is not None:
                choice = collecting.read_more(typed)
                if choice is None:
                    return collecting.hint("hint.add_or_done")
            else:
                assert tap is not None
                choice = {("g", "add"): "add", ("g", "drop"): "drop", ("a", "done"): "done"}.get(
                    tap, ""
                )
            if choice == "done":
                return collecting.complete(records)
            if choice == "add" and len(records) < (step.maximum or 0):
                group["current"] = {}
            elif choice == "drop" and records:
                records.pop()
            else:
                return collecting.STALE if typed is None else collecting.hint("hint.records_full")
        else:
            field = collecting.next_field(step, current)
            if field is None:
                return collecting.STALE
            if typed is not None:
                answer, problem = read_typed(
                    field.step, typed.strip(), self.host.towns(turn.locale), turn.translate,
                    self.flow.name,
                )  # fmt: skip
                if problem is not None:
                    return collecting.Move(hint=problem)
            else:
                assert tap is not None
                answer, valid = (
                    read_tap(field.step, tap[1], self.host.towns(turn.locale))
                    if tap[0] == "a"
                    else (None, False)
                )
                if not valid:
                    return collecting.STALE
            current = {**current, collecting.short_name(field): answer}
            if collecting.next_field(step, current) is None:
                records.append(current)
                current = None
            group["current"] = current
        self._set_partial(state, step, group)
        return collecting.SHOW

    def _step_back_within(self, state: DialogState, step: Step) -> bool:
        """Back inside a checklist or a record undoes its last input; False at its start."""
        partial = self._partial(state, step)
        if step.kind is StepKind.DOCUMENTS and isinstance(partial, dict) and partial:
            partial = dict(partial)
            partial.pop(next(reversed(partial)))
            self._set_partial(state, step, partial)
            return True
        if step.kind is StepKind.REPEAT and isinstance(partial, dict):
            current = partial["current"]
            if current is None:
                return False
            # One answer of the record undone; at its first question, back to "anyone else?".
            undone = dict(current)
            if undone:
                undone.pop(next(reversed(undone)))
            self._set_partial(state, step, {**partial, "current": undone if current else None})
            return True
        return False

    def _collecting_screen(
        self, state: DialogState, step: Step, turn: Turn, context: dict[str, Any]
    ) -> list[tuple[Button, ...]]:
        v = state.version
        if step.kind is StepKind.MULTI:
            options = self._choices(state, step, turn)
            current = collecting.selected(
                self._partial(state, step), state.answers.get(step.name), options
            )
            context.update(options=options, selected=current)
            return collecting.multi_buttons(v, options, current)
        if step.kind is StepKind.DOCUMENTS:
            done, checklist, item = self._documents(state, step, turn)
            previous = state.answers.get(step.name)
            kept = bool(isinstance(previous, dict) and item and previous.get(item))
            last = next(reversed(done), None) if done else None
            context.update(
                item=item,
                item_name=checklist.get(item, "") if item else "",
                position=len(done) + 1,
                count=len(checklist),
                last=last,
                last_name=checklist.get(last, "") if last else "",
                last_received=bool(last and done.get(last)),
                kept=kept,
            )
            if item is None:
                return [(Button(Label.of("button.done"), press(v, "a", "done")),)]
            left = len(collecting.remaining(done, checklist))
            return collecting.document_buttons(v, kept=kept, left=left)
        group = self._records(state, step)
        current = group["current"]
        field = collecting.next_field(step, current) if current is not None else None
        context.update(
            records=group["records"],
            current=current or {},
            field=collecting.short_name(field) if field else None,
        )
        if field is not None:
            return answer_buttons(self.flow.name, field.step, v, {})
        return collecting.repeat_buttons(v, step, group["records"])
