"""Host effects: what a flow declares happens at its steps, run in the update's transaction.

A flow's YAML names effects (``on_enter``, ``on_answer``, ``actions: {submit: …}``, and at the
top ``on_begin`` and ``on_cancel``); ``EFFECTS`` holds them by name, and ``yimen flows check``
refuses a flow that names one not there. An effect records what it must and returns the facts
it learnt; ``Effects.run`` resumes the engine with them (a fact that changes the way on
reroutes the flow, a submission redraws its screen), and starts the flow an `end` step hands
over to (``then``) with what its ``on_begin`` effects seed it with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.services import Casework
from bot.flows.application import ApplicationHost
from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.model import DialogState, Event, EventKind, Outcome
from bot.flows.screening import ScreeningHost
from bot.flows.spec import Flow
from storage.models import Resident

# View key: facts that routed the flow to a step, dropped once the resident moves away from it
# (so the next move asks the host again).
ROUTED = "routed"


@dataclass(frozen=True, slots=True)
class Services:
    """What effects work with besides the transaction."""

    casework: Casework
    screening: ScreeningHost
    application: ApplicationHost
    engines: Mapping[str, FlowEngine]


@dataclass(slots=True)
class Call:
    """One effect's run: the flow that declared it, the event that triggered it and the
    outcome so far."""

    flow: Flow
    session: AsyncSession
    resident: Resident
    event: Event
    outcome: Outcome
    turn: Turn
    services: Services

    @property
    def state(self) -> DialogState:
        assert self.outcome.state is not None  # effects run for events of a flow's state
        return self.outcome.state


@dataclass(frozen=True, slots=True)
class Facts:
    """What an effect learnt, for the flow to go on with."""

    view: Mapping[str, Any] = field(default_factory=dict)
    # The facts change which step comes next: advance again from the step of the event.
    reroute: bool = False
    # The answers are kept elsewhere now (or must not be kept): the conversation drops them.
    drop_answers: bool = False
    # The view is replaced by ``view`` and the current screen drawn again with it.
    redraw: bool = False


@dataclass(frozen=True, slots=True)
class Seed:
    """What an ``on_begin`` effect starts its flow with."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    # Answers said elsewhere that the flow's `reused` steps take unasked, once.
    given: tuple[str, ...] = ()
    view: Mapping[str, Any] = field(default_factory=dict)


Effect = Callable[[Call], Awaitable[Facts | Seed | None]]
EFFECTS: dict[str, Effect] = {}


def effect(function: Effect) -> Effect:
    """Register ``function`` under its own name, for flows to declare."""
    EFFECTS[function.__name__] = function
    return function


def unknown_effects(flows: Iterable[Flow]) -> list[str]:
    """Every effect a flow names that the registry does not hold, named with its flow."""
    return [
        f"flow {flow.name}: unknown effect {name!r} (known: {', '.join(sorted(EFFECTS))})"
        for flow in flows
        for name in sorted(flow.effects())
        if name not in EFFECTS
    ]


def declared(flow: Flow, event: Event) -> tuple[str, ...]:
    """The effects ``flow`` declares for ``event``."""
    if event.kind is EventKind.CANCELLED:
        return flow.on_cancel
    step = flow.steps.get(event.step)
    if step is None:
        return ()
    if event.kind is EventKind.ANSWERED:
        return step.on_answer
    if event.kind is EventKind.ENTERED:
        return step.on_enter
    if event.kind is EventKind.ACTION:
        return step.on_action.get(str(event.value), ())
    return ()


def forget_routed(state: DialogState) -> None:
    """Facts that routed the flow to a step hold while the resident is at that step only."""
    routed = state.view.get(ROUTED)
    if isinstance(routed, dict) and routed.get("to") != state.step:
        for key in routed.get("keys", ()):
            state.view.pop(key, None)
        state.view.pop(ROUTED, None)


class Effects:
    """Runs the effects a flow declares for the events of one outcome."""

    def __init__(self, services: Services) -> None:
        self.services = services
        flows = [engine.flow for engine in services.engines.values()]
        problems = unknown_effects(flows)
        if problems:
            raise LookupError("; ".join(problems))
        self.commands = {flow.command: flow.name for flow in flows if flow.command}

    async def run(
        self, session: AsyncSession, resident: Resident, outcome: Outcome, turn: Turn
    ) -> Outcome:
        """Each event's effects in order; an effect may change the way on, so the outcome is
        returned. Events of a flow begun here are that flow's start, not effects to run."""
        for event in list(outcome.events):
            state = outcome.state
            engine = self.services.engines.get(state.flow) if state is not None else None
            if engine is None:
                continue
            if event.kind is EventKind.RESTARTED and engine.flow.on_begin:
                outcome = await self._seed_again(session, resident, engine, outcome, turn)
                continue
            for name in declared(engine.flow, event):
                call = Call(engine.flow, session, resident, event, outcome, turn, self.services)
                learnt = await EFFECTS[name](call)
                if isinstance(learnt, Facts):
                    outcome = self._resume(engine, outcome, event, learnt, turn)
            step = engine.flow.steps.get(event.step)
            if event.kind is EventKind.ENTERED and step is not None and step.then is not None:
                outcome = await self._hand_over(session, resident, step.then, outcome, turn)
        return outcome

    async def begin(
        self,
        flow: str,
        session: AsyncSession,
        resident: Resident,
        state: DialogState | None,
        turn: Turn,
    ) -> Outcome:
        """Start ``flow`` with what its ``on_begin`` effects seed it with."""
        engine = self.services.engines[flow]
        seed = await self._seed(session, resident, engine, state, turn)
        outcome = engine.begin(turn, answers=dict(seed.answers), given=seed.given)
        assert outcome.state is not None
        outcome.state.view.update(seed.view)
        # Seeded already: the engine's "restarted" must not ask for the seed again.
        outcome.events = [e for e in outcome.events if e.kind is not EventKind.RESTARTED]
        return outcome

    async def _seed(
        self,
        session: AsyncSession,
        resident: Resident,
        engine: FlowEngine,
        state: DialogState | None,
        turn: Turn,
    ) -> Seed:
        answers: dict[str, Any] = {}
        given: list[str] = []
        view: dict[str, Any] = {}
        for name in engine.flow.on_begin:
            # The state the flow is begun from: another flow's, or this one's before a restart.
            call = Call(
                engine.flow, session, resident, Event(EventKind.RESTARTED), Outcome(state), turn,
                self.services,
            )  # fmt: skip
            learnt = await EFFECTS[name](call)
            if isinstance(learnt, Seed):
                answers.update(learnt.answers)
                given.extend(learnt.given)
                view.update(learnt.view)
        return Seed(answers, tuple(given), view)

    async def _seed_again(
        self,
        session: AsyncSession,
        resident: Resident,
        engine: FlowEngine,
        outcome: Outcome,
        turn: Turn,
    ) -> Outcome:
        """The resident started the flow over: seed it again, keeping what the restart kept."""
        state = outcome.state
        assert state is not None
        begun = await self.begin(engine.flow.name, session, resident, state, turn)
        assert begun.state is not None
        begun.state.answers = {**state.answers, **begun.state.answers}
        begun.state.version = state.version + 1
        return begun

    async def _hand_over(
        self, session: AsyncSession, resident: Resident, flow: str, outcome: Outcome, turn: Turn
    ) -> Outcome:
        """An `end` step with `then` starts that flow; the end step's screen is shown first,
        as a note."""
        started = await self.begin(flow, session, resident, outcome.state, turn)
        if outcome.screen is not None:
            started.before.insert(0, outcome.screen)
        started.events = [*outcome.events, *started.events]
        started.fresh = True
        return started

    def _resume(
        self, engine: FlowEngine, outcome: Outcome, event: Event, learnt: Facts, turn: Turn
    ) -> Outcome:
        state = outcome.state
        assert state is not None
        if learnt.drop_answers:
            state.answers, state.history = {}, []
        if learnt.redraw:
            state.view = dict(learnt.view)
            outcome.screen = engine.screen(state, turn)
            return outcome
        state.view.update(learnt.view)
        if not learnt.reroute:
            return outcome
        state.step, state.active = event.step, True
        rerouted = engine.reroute(state, turn, fresh=outcome.fresh)
        assert rerouted.state is not None
        rerouted.state.view[ROUTED] = {"to": rerouted.state.step, "keys": sorted(learnt.view)}
        rerouted.events = [*outcome.events, *rerouted.events]
        return rerouted
