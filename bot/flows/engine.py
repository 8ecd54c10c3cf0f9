"""The flow engine: one `transitions` machine per flow, a light model attached per update.

``FlowEngine.handle`` takes the saved dialog state and one input and returns an ``Outcome``:
the new state, the screen to show and the events the host records. It sends nothing and
touches no database, so the host can commit first and deliver after.

Why one module over 400 lines: it is one machine's handling of every input
(navigation, commands, buttons, typed answers, review and resume), and each part reads and
moves the same state. What stands apart from that state lives apart: reading answers
(``answers.py``), the buttons and progress it draws (``screens.py``), the collecting steps
(``collecting_steps.py``) and the declarations (``spec.py``, ``loading.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from transitions import Machine

from bot.callbacks import FlowPress
from bot.flows import collecting
from bot.flows.answers import read_tap, read_typed
from bot.flows.collecting_steps import CollectingSteps
from bot.flows.conditions import Condition
from bot.flows.host import FlowHost, Turn
from bot.flows.model import (
    Button,
    ButtonInput,
    CommandInput,
    DialogState,
    Event,
    EventKind,
    FileInput,
    Input,
    Label,
    OtherInput,
    Outcome,
    Screen,
    TextInput,
    press,
)
from bot.flows.screens import answer_buttons, language_screen, progress, resume_screen
from bot.flows.spec import START, Flow, Step, StepKind

# The longest text we try to read as an answer; anything longer is surely not one.
MAX_ANSWER_CHARS = 200
# View key: answers the flow was started with that its `reused` steps take unasked, once.
GIVEN = "given"


class _Cursor:
    """The light model attached to the flow's machine for one move."""

    state: str


class FlowEngine(CollectingSteps):
    def __init__(self, flow: Flow, host: FlowHost) -> None:
        self.flow = flow
        self.host = host
        # The model attached for the update being handled (handling is synchronous, so one
        # update at a time per engine even with many chats in flight).
        self._cursor: _Cursor | None = None
        self.machine = Machine(
            model=None,
            states=[START, *flow.steps],
            initial=START,
            auto_transitions=False,
            send_event=False,
        )
        for owner, rules in [(START, flow.start), *((s.name, s.next) for s in flow.steps.values())]:
            for rule in rules:
                conditions: list[str | Callable[..., bool | None]] = (
                    [] if rule.when is None else [_predicate(rule.when)]
                )
                self.machine.add_transition("advance", owner, rule.to, conditions=conditions)

    # ---- navigation -------------------------------------------------------------------------

    def _next_step(
        self, state_name: str, answers: Mapping[str, Any], ctx: Mapping[str, bool]
    ) -> str:
        cursor = self._cursor
        if cursor is None:
            with self._attached() as cursor:
                return self._move(cursor, state_name, answers, ctx)
        return self._move(cursor, state_name, answers, ctx)

    def _move(
        self, cursor: _Cursor, state_name: str, answers: Mapping[str, Any], ctx: Mapping[str, bool]
    ) -> str:
        self.machine.set_state(state_name, model=cursor)
        cursor.advance(answers, ctx)  # type: ignore[attr-defined]
        return cursor.state

    @contextmanager
    def _attached(self) -> Iterator[_Cursor]:
        """One light model on the flow's machine for the length of one update."""
        cursor = _Cursor()
        self.machine.add_model(cursor, initial=START)
        try:
            yield cursor
        finally:
            self.machine.remove_model(cursor)

    def context(self, state: DialogState, turn: Turn) -> dict[str, bool]:
        """Facts conditions may read: the resident's (from the turn) and the answers' (host)."""
        return {**turn.facts, **self.host.context(state)}

    def path(self, state: DialogState, turn: Turn) -> list[str]:
        """The steps a resident with these answers walks, from the start to the first stop."""
        ctx = self.context(state, turn)
        steps: list[str] = []
        name = START
        while True:
            name = self._next_step(name, state.answers, ctx)
            if name in steps:
                return steps
            steps.append(name)
            step = self.flow.step(name)
            if not step.kind.asks and step.kind is not StepKind.INFO:
                return steps
            if step.kind.asks and name not in state.answers:
                return steps

    def reroute(self, state: DialogState, turn: Turn, *, fresh: bool) -> Outcome:
        """Advance again from the current step: the host learnt a fact (a duplicate
        application) that changes which step comes next."""
        with self._attached() as cursor:
            self._cursor = cursor
            try:
                return self._go_next(_copy(state), turn, fresh=fresh, events=[])
            finally:
                self._cursor = None

    def begin(
        self,
        turn: Turn,
        *,
        answers: Mapping[str, Any] | None = None,
        given: Iterable[str] = (),
    ) -> Outcome:
        """Start the flow with ``answers``; those named in ``given`` (said elsewhere, e.g. in
        the screening) settle their `reused` steps once, unasked."""
        state = DialogState(flow=self.flow.name, step=START, answers=dict(answers or {}))
        state.updated_at = turn.now
        if given:
            state.view[GIVEN] = [name for name in given if name in state.answers]
        return self._go_next(state, turn, fresh=True, events=[Event(EventKind.RESTARTED)])

    def _go_next(
        self, state: DialogState, turn: Turn, *, fresh: bool, events: list[Event]
    ) -> Outcome:
        """Advance from the current step; while editing, keep answers nothing made stale."""
        editing = state.view.get("editing")
        while True:
            name = self._next_step(state.step, state.answers, self.context(state, turn))
            step = self.flow.step(name)
            state.step = name
            answered = bool(editing) and step.kind.asks and name in state.answers
            if answered and not set(editing or ()) & step.depends_on:
                continue
            settled = self._settled(state, step, turn)
            if settled is None:
                break
            state.answers[name] = settled
            state.history.append(name)
            events.append(Event(EventKind.ANSWERED, name, settled))
        if step.kind in (StepKind.RESULT, StepKind.END):
            state.view.pop("editing", None)
            self._drop_answers_off_path(state, turn)
        forgotten = None
        if step.forget:
            # The host learns what the view referred to (a stored screening) to forget it too.
            forgotten = state.view
            state.answers = _system_answers(self.flow, state.answers)
            state.history, state.view = [], {}
        if step.kind is StepKind.END:
            state.active = False
        events.append(Event(EventKind.ENTERED, name, forgotten))
        return self._show(state, turn, fresh=fresh, events=events)

    def _settled(self, state: DialogState, step: Step, turn: Turn) -> Any:
        """A step answered at once, or None: a reused answer the flow was started with, and a
        documents step with nothing left to ask (its checklist covered by what was sent before
        a change of programmes, or empty)."""
        given = state.view.get(GIVEN) or []
        if step.reused and step.name in given and step.name in state.answers:
            # Taken once: going back to it, or changing it from the review, asks as usual.
            state.view[GIVEN] = [name for name in given if name != step.name]
            return state.answers[step.name]
        if step.kind is not StepKind.DOCUMENTS:
            return None
        checklist = self._choices(state, step, turn)
        done = self._partial(state, step)
        if not isinstance(done, dict):
            previous = state.answers.get(step.name)
            kept = previous if isinstance(previous, dict) else {}
            done = {item: kept[item] for item in checklist if item in kept}
            self._set_partial(state, step, done)
        if collecting.remaining(done, checklist):
            return None
        self._set_partial(state, step, None)
        return {item: done[item] for item in checklist}

    def _drop_answers_off_path(self, state: DialogState, turn: Turn) -> None:
        """Answers to questions the resident would no longer be asked must not count."""
        on_path = set(self.path(state, turn))
        for name in list(state.answers):
            if name in self.flow.steps and name not in on_path and self.flow.step(name).is_question:
                del state.answers[name]

    # ---- entry point --------------------------------------------------------------------------

    def handle(self, state: DialogState | None, event: Input, turn: Turn) -> Outcome:
        with self._attached() as cursor:
            self._cursor = cursor
            try:
                return self._handle(state, event, turn)
            finally:
                self._cursor = None

    def _handle(self, state: DialogState | None, event: Input, turn: Turn) -> Outcome:
        if isinstance(event, CommandInput):
            return self._command(state, event, turn)
        if state is None or not state.active:
            if isinstance(event, ButtonInput):
                return Outcome(state, toast=Label.of("toast.stale"), changed=False)
            return self.begin(turn)
        state = _copy(state)
        if isinstance(event, ButtonInput):
            return self._button(state, event, turn)
        if self._needs_resume_prompt(state, turn):
            return self._resume_prompt(state, turn)
        if state.view.get("resume") or state.view.get("language"):
            return self._show(state, turn, fresh=True, hint=Label.of("hint.choose_option"))
        step = self.flow.step(state.step)
        if isinstance(event, FileInput):
            if step.kind is StepKind.DOCUMENTS:
                return self._apply_move(
                    state, step, self._file(state, step, event, turn), turn, True
                )
            # A flow that never takes files says so plainly; one that does says when.
            later = any(s.kind is StepKind.DOCUMENTS for s in self.flow.steps.values())
            words = "hint.file_not_now" if later else "hint.words_only"
            return self._show(state, turn, fresh=True, hint=Label.of(words))
        if isinstance(event, OtherInput):
            words = "hint.file_wrong_kind" if step.kind is StepKind.DOCUMENTS else "hint.words_only"
            return self._show(state, turn, fresh=True, hint=Label.of(words))
        return self._typed(state, event, turn)

    def _needs_resume_prompt(self, state: DialogState, turn: Turn) -> bool:
        last = state.updated_at
        return (
            last is not None
            and turn.now - last >= turn.resume_after
            and not state.view.get("resume")
            and self._has_progress(state)
        )

    def _has_progress(self, state: DialogState) -> bool:
        return any(self.flow.step(name).is_question for name in state.history)

    def _resume_prompt(self, state: DialogState, turn: Turn) -> Outcome:
        # Work in progress (ticked programmes, documents sent, household members) is kept.
        state.view.pop("language", None)
        state.view.pop("detail", None)
        state.view["resume"] = True
        return self._show(state, turn, fresh=True)

    # ---- commands -----------------------------------------------------------------------------

    def _command(self, state: DialogState | None, command: CommandInput, turn: Turn) -> Outcome:
        name = command.name
        if name == "start":
            if state is not None and state.active and self._has_progress(state):
                return self._resume_prompt(_copy(state), turn)
            return self.begin(turn)
        if name == "cancel":
            return self._cancel(state, turn)
        if state is None or not state.active:
            if name in ("help", "language"):
                screen = Screen("common/help.html") if name == "help" else language_screen(0)
                return Outcome(state, screen=screen, fresh=True, changed=False)
            return self.begin(turn)
        state = _copy(state)
        if name == "help":
            state.view.pop("resume", None)
            outcome = self._show(state, turn, fresh=True)
            outcome.before.append(Screen("common/help.html"))
            return outcome
        if name == "language":
            state.view["language"] = True
            return self._show(state, turn, fresh=True)
        return self._show(state, turn, fresh=True, hint=Label.of("hint.unknown_command"))

    def _cancel(self, state: DialogState | None, turn: Turn) -> Outcome:
        if state is None or not state.active:
            return Outcome(
                state, screen=Screen("common/nothing_to_cancel.html"), fresh=True, changed=False
            )
        state = _copy(state)
        state.active = False
        # Cancelling discards what was said in this conversation: keep nobody's answers idly.
        # The host learns what the view referred to (a draft screening) to discard it too.
        dropped = state.view
        state.answers, state.history, state.view = {}, [], {}
        state.version += 1
        state.updated_at = turn.now
        return Outcome(
            state,
            screen=Screen("common/cancelled.html"),
            fresh=True,
            events=[Event(EventKind.CANCELLED, state.step, dropped)],
        )

    # ---- buttons ------------------------------------------------------------------------------

    def _button(self, state: DialogState, button: ButtonInput, turn: Turn) -> Outcome:
        tap = FlowPress.decode(button.data)
        if tap is None:
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        kind, value = tap.kind, tap.value
        if kind == "l" and value in _LANGUAGES:
            state.view.pop("language", None)
            return self._show(
                state,
                turn,
                fresh=not button.on_dialog_message,
                events=[Event(EventKind.LOCALE, value=value)],
            )
        if tap.version != state.version:
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        fresh = not button.on_dialog_message
        if kind == "r":
            state.view.pop("resume", None)
            if value == "over":
                return self.begin(turn, answers=_system_answers(self.flow, state.answers))
            return self._show(state, turn, fresh=fresh)
        if state.view.get("resume"):
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        step = self.flow.step(state.step)
        if step.kind in _COLLECTING and kind in ("a", "m", "g"):
            return self._apply_move(
                state, step, self._collecting_tap(state, step, kind, value, turn), turn, fresh
            )
        if kind == "a" and step.kind.asks:
            return self._tapped_answer(state, step, value, turn, fresh)
        if kind == "b":
            return self._back(state, turn, fresh)
        if kind == "c" and step.kind is StepKind.INFO:
            state.history.append(step.name)
            return self._go_next(state, turn, fresh=fresh, events=[])
        if kind == "e" and step.kind is StepKind.REVIEW and self._editable(state, value):
            state.view["editing"] = [value]
            state.history.append(step.name)
            state.step = value
            edited = self.flow.step(value)
            # Editing a checklist goes through it again; what was sent can be kept item by item.
            fresh_start: Any = {} if edited.kind is StepKind.DOCUMENTS else None
            self._set_partial(state, edited, fresh_start)
            return self._show(state, turn, fresh=fresh)
        if kind == "d" and step.kind is StepKind.RESULT:
            state.view["detail"] = value
            return self._show(state, turn, fresh=fresh)
        if kind == "x":
            return self._action(state, step, value, turn, fresh)
        return Outcome(state, toast=Label.of("toast.stale"), changed=False)

    def _editable(self, state: DialogState, name: str) -> bool:
        return (
            name in self.flow.steps and self.flow.step(name).is_question and name in state.answers
        )

    def _action(
        self, state: DialogState, step: Step, action: str, turn: Turn, fresh: bool
    ) -> Outcome:
        if (
            action == "results"
            and step.kind in (StepKind.RESULT, StepKind.REVIEW)
            and self._has_result
        ):
            state.view.pop("detail", None)
            state.step = self._result_step(state)
            return self._show(state, turn, fresh=fresh)
        if step.kind not in (StepKind.RESULT, StepKind.REVIEW) or action not in step.actions:
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        state.view.pop("detail", None)
        if action == "restart":
            return self.begin(turn, answers=_system_answers(self.flow, state.answers))
        if action == "review":
            state.history.append(step.name)
            state.step = next(s.name for s in self.flow.steps.values() if s.kind is StepKind.REVIEW)
            return self._show(state, turn, fresh=fresh)
        state.history.append(step.name)
        return self._go_next(
            state, turn, fresh=fresh, events=[Event(EventKind.ACTION, step.name, action)]
        )

    @property
    def _has_result(self) -> bool:
        return any(s.kind is StepKind.RESULT for s in self.flow.steps.values())

    def _result_step(self, state: DialogState) -> str:
        return next(s.name for s in self.flow.steps.values() if s.kind is StepKind.RESULT)

    def _back(self, state: DialogState, turn: Turn, fresh: bool) -> Outcome:
        step = self.flow.step(state.step)
        if step.kind in _COLLECTING and self._step_back_within(state, step):
            return self._show(state, turn, fresh=fresh)
        while state.history:
            previous = state.history.pop()
            if not self.flow.step(previous).system:
                state.step = previous
                state.view.pop("editing", None)
                return self._show(state, turn, fresh=fresh)
        return self._show(state, turn, fresh=fresh)

    # ---- answers ------------------------------------------------------------------------------

    def _tapped_answer(
        self, state: DialogState, step: Step, value: str, turn: Turn, fresh: bool
    ) -> Outcome:
        answer, valid = read_tap(step, value, self.host.towns(turn.locale))
        if not valid:
            return Outcome(state, toast=Label.of("toast.stale"), changed=False)
        return self._accept(state, step, answer, turn, fresh)

    def _typed(self, state: DialogState, event: TextInput, turn: Turn) -> Outcome:
        step = self.flow.step(state.step)
        text = event.text.strip()
        if not step.kind.asks:
            return self._show(state, turn, fresh=True, hint=Label.of("hint.use_buttons"))
        if not text:
            return self._show(state, turn, fresh=True, hint=Label.of("hint.empty"))
        if step.kind is StepKind.TEXT:
            return self._apply_move(state, step, collecting.read_text(step, text), turn, True)
        if len(text) > MAX_ANSWER_CHARS:
            return self._show(state, turn, fresh=True, hint=Label.of("hint.too_long"))
        if step.kind in _COLLECTING or step.kind in (StepKind.ID_NUMBER, StepKind.PHONE):
            return self._apply_move(
                state, step, self._collecting_typed(state, step, text, turn), turn, True
            )
        answer, hint = read_typed(
            step, text, self.host.towns(turn.locale), turn.translate, self.flow.name
        )
        if hint is not None:
            return self._show(state, turn, fresh=True, hint=hint)
        return self._accept(state, step, answer, turn, fresh=True)

    def _accept(
        self, state: DialogState, step: Step, answer: Any, turn: Turn, fresh: bool
    ) -> Outcome:
        state.answers[step.name] = answer
        state.history.append(step.name)
        editing = state.view.get("editing")
        if editing is not None and step.name not in editing:
            editing.append(step.name)
        return self._go_next(
            state, turn, fresh=fresh, events=[Event(EventKind.ANSWERED, step.name, answer)]
        )

    # ---- screens ------------------------------------------------------------------------------

    def _show(
        self,
        state: DialogState,
        turn: Turn,
        *,
        fresh: bool,
        hint: Label | None = None,
        events: list[Event] | None = None,
    ) -> Outcome:
        state.version += 1
        state.updated_at = turn.now
        if state.view.get("resume"):
            screen = resume_screen(state.version)
        elif state.view.get("language"):
            screen = language_screen(state.version)
        else:
            screen = self.screen(state, turn, hint)
        return Outcome(state, screen=screen, fresh=fresh, events=events or [])

    def screen(self, state: DialogState, turn: Turn, hint: Label | None = None) -> Screen:
        step = self.flow.step(state.step)
        v = state.version
        if step.kind is StepKind.RESULT:
            detail = state.view.get("detail")
            if detail:
                shown = self.host.detail_screen(state, str(detail))
                if shown is not None:
                    return shown
            return self.host.result_screen(state)
        rows: list[tuple[Button, ...]] = []
        context: dict[str, Any] = {"answers": state.answers, "hint": hint, "step": step.name}
        if step.kind is StepKind.REVIEW:
            reviewed = [n for n in self.path(state, turn) if self._editable(state, n)]
            edits = [
                Button(Label(f"{self.flow.name}.{n}.title"), press(v, "e", n)) for n in reviewed
            ]
            # A long form gets two edit buttons a row, so the submit button stays in sight.
            columns = 2 if len(edits) > 8 else 1
            rows = [tuple(edits[i : i + columns]) for i in range(0, len(edits), columns)]
            context["reviewed"] = reviewed
            rows.extend(
                (
                    Button(
                        Label(f"{self.flow.name}.{step.name}.{action}"),
                        press(v, "x", action),
                    ),
                )
                for action in step.actions
            )
            if not step.actions:
                rows.append((Button(Label.of("button.see_results"), press(v, "x", "results")),))
        elif step.kind in _COLLECTING:
            rows = self._collecting_screen(state, step, turn, context)
            context.update(progress(self.flow, self.path(state, turn), state.history, step))
        else:
            rows = answer_buttons(self.flow.name, step, v, self.host.towns("zh-CN"))
            context.update(progress(self.flow, self.path(state, turn), state.history, step))
        context.update(self.host.screen_context(state, step, turn.locale))
        if step.kind not in (StepKind.END, StepKind.REVIEW) and self._can_go_back(state, step):
            rows.append((Button(Label.of("button.back"), press(v, "b")),))
        return Screen(f"{self.flow.name}/{step.name}.html", context, tuple(rows))

    def _can_go_back(self, state: DialogState, step: Step) -> bool:
        return not step.system and any(not self.flow.step(n).system for n in state.history)


_LANGUAGES = ("zh-CN", "en")
# Steps whose answer is gathered over several inputs, with work in progress in the view.
_COLLECTING = (StepKind.MULTI, StepKind.DOCUMENTS, StepKind.REPEAT)


def _system_answers(flow: Flow, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Starting over keeps the answers to system steps (language, consent), nothing else."""
    return {k: v for k, v in answers.items() if k in flow.steps and flow.step(k).system}


def _copy(state: DialogState) -> DialogState:
    return replace(
        state,
        answers=dict(state.answers),
        history=list(state.history),
        view={k: (list(v) if isinstance(v, list) else v) for k, v in state.view.items()},
    )


def _predicate(condition: Condition) -> Callable[[Mapping[str, Any], Mapping[str, bool]], bool]:
    # transitions calls a condition with the trigger's arguments: (answers, context).
    def check(answers: Mapping[str, Any], context: Mapping[str, bool]) -> bool:
        return condition.holds(answers, context)

    return check
