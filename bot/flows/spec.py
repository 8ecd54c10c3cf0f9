"""Flow declarations: loaded from YAML, validated before any resident sees them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.callbacks import FlowPress
from bot.flows.conditions import Condition

START = "_start"
# A version far above any conversation's: an option fits in a button if it fits with this one.
_LONGEST_VERSION = 999_999_999


class StepKind(StrEnum):
    CHOICE = "choice"  # one of a fixed list of options
    YESNO = "yesno"  # yes or no, tapped or typed in Chinese or English
    NUMBER = "number"  # a whole number within bounds, with optional quick buttons
    AMOUNT = "amount"  # money: typed exactly or chosen as a range
    TOWN = "town"  # a town or street of the policy profile
    INFO = "info"  # something to read, then continue
    TEXT = "text"  # a short free text (a name, a village), trimmed and bounded
    ID_NUMBER = "id_number"  # a resident ID number (GB 11643), check character and birth date
    PHONE = "phone"  # a mainland mobile number
    MULTI = "multi"  # several of a list, toggled on and off, then "done"
    DOCUMENTS = "documents"  # a checklist of files, one item at a time, each may be skipped
    REPEAT = "repeat"  # a list of records (household members), each a few small questions
    STOP = "stop"  # the conversation cannot go on from here; the resident can only go back
    RESULT = "result"  # the outcome screen, drawn by the flow's host
    REVIEW = "review"  # every answer, each with an edit button
    END = "end"  # the conversation is over

    @property
    def asks(self) -> bool:
        """Whether the step stores an answer under its own name."""
        return self in _ASKING


_ASKING = {
    StepKind.CHOICE,
    StepKind.YESNO,
    StepKind.NUMBER,
    StepKind.AMOUNT,
    StepKind.TOWN,
    StepKind.TEXT,
    StepKind.ID_NUMBER,
    StepKind.PHONE,
    StepKind.MULTI,
    StepKind.DOCUMENTS,
    StepKind.REPEAT,
}
# What a repeating group may ask about each record: small questions answered by a tap or a word.
_FIELD_KINDS = {StepKind.CHOICE, StepKind.YESNO, StepKind.NUMBER}
# Telegram bots can download files up to 20 MB; a bigger file could never reach the window.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_ACCEPT = (
    "image/*",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
# Button values the engine itself uses on multi, documents and repeat steps.
RESERVED_VALUES = frozenset({"done", "skip", "skip_all", "add", "drop"})


class FlowError(Exception):
    """A flow declaration that cannot be used; the message names the flow and the problem."""


@dataclass(frozen=True, slots=True)
class NextRule:
    to: str
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One question of a repeating group, asked of each record when ``when`` holds for it."""

    step: Step
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: StepKind
    next: tuple[NextRule, ...] = ()
    options: tuple[str, ...] = ()
    columns: int = 2
    minimum: int | None = None
    maximum: int | None = None
    quick: tuple[int, ...] = ()
    ranges: tuple[tuple[int, int | None], ...] = ()
    actions: tuple[str, ...] = ()
    depends_on: frozenset[str] = frozenset()
    # System steps (language, consent) are not questions: not counted, reviewed or edited.
    system: bool = False
    # Options provided by the host at run time (programmes, a document checklist).
    source: str | None = None
    fields: tuple[Field, ...] = ()
    accept: tuple[str, ...] = DEFAULT_ACCEPT
    max_bytes: int = DEFAULT_MAX_BYTES
    # An `end` step that hands the conversation over to another flow.
    then: str | None = None
    # An `end` step after which none of the answers may be kept (only language and consent):
    # the person had no right to give them (a child under 14 applying alone).
    forget: bool = False
    # An answer the flow was started with (the screening's, for the application) is taken as
    # given: not asked again, shown on the review screen, where it can be changed.
    reused: bool = False
    # An ID number step whose answer must not be the one given at this other step (the person
    # applied for is someone else than the applicant).
    differs_from: str | None = None
    # Host effects (named in the host's registry) run when the step is entered, when it is
    # answered, and when one of its actions is taken.
    on_enter: tuple[str, ...] = ()
    on_answer: tuple[str, ...] = ()
    on_action: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_question(self) -> bool:
        return self.kind.asks and not self.system

    def effects(self) -> Iterator[str]:
        yield from self.on_enter
        yield from self.on_answer
        for names in self.on_action.values():
            yield from names


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    start: tuple[NextRule, ...]
    steps: Mapping[str, Step]
    context_facts: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    # The command that starts this flow from anywhere (e.g. `apply`), and the host effects run
    # when it begins (what it is seeded with) and when the resident cancels it.
    command: str | None = None
    on_begin: tuple[str, ...] = ()
    on_cancel: tuple[str, ...] = ()

    def step(self, name: str) -> Step:
        return self.steps[name]

    def effects(self) -> set[str]:
        """Every host effect the flow names."""
        names = {*self.on_begin, *self.on_cancel}
        for step in self.steps.values():
            names.update(step.effects())
        return names

    @property
    def reused(self) -> tuple[str, ...]:
        """Steps whose answers the flow takes as given when it is begun with them."""
        return tuple(step.name for step in self.steps.values() if step.reused)

    @property
    def system_steps(self) -> frozenset[str]:
        """Steps that are not about the person's situation (language, consents)."""
        return frozenset(step.name for step in self.steps.values() if step.system)


def validate(flow: Flow) -> list[str]:
    """Everything wrong with a flow, each problem named; an empty list means usable."""
    problems: list[str] = []
    names = set(flow.steps)
    answerable = {step.name for step in flow.steps.values() if step.kind.asks}
    for owner, rules in [(START, flow.start), *((s.name, s.next) for s in flow.steps.values())]:
        problems.extend(_check_rules(owner, rules, names, answerable, flow.context_facts))
    for step in flow.steps.values():
        problems.extend(_check_step(step, names, flow.sources))
    problems.extend(_check_reachable(flow))
    return problems


def _check_rules(
    owner: str,
    rules: Sequence[NextRule],
    names: set[str],
    answerable: set[str],
    context_facts: frozenset[str],
) -> list[str]:
    problems = []
    for rule in rules:
        if rule.to not in names:
            problems.append(f"{owner} goes to unknown step {rule.to!r}")
        if rule.when is not None:
            for answer in rule.when.answers_read():
                if answer not in answerable:
                    problems.append(f"{owner} reads unknown answer {answer!r}")
            for fact in rule.when.context_read():
                if fact not in context_facts:
                    problems.append(f"{owner} reads unknown context fact {fact!r}")
    if rules and rules[-1].when is not None:
        problems.append(f"{owner} may reach a dead end: its last `next` rule needs a default")
    return problems


def _check_step(step: Step, names: set[str], sources: frozenset[str] = frozenset()) -> list[str]:
    problems = []
    if step.kind not in (StepKind.END, StepKind.STOP) and not step.next:
        problems.append(f"step {step.name!r} is a dead end: no `next` and not `ask: end`")
    if step.kind in (StepKind.END, StepKind.STOP) and step.next:
        problems.append(f"step {step.name!r} ends the flow but has `next`")
    if step.then is not None and step.kind is not StepKind.END:
        problems.append(f"step {step.name!r}: only an `end` step can hand over (`then`)")
    if step.differs_from is not None and step.differs_from not in names:
        problems.append(f"step {step.name!r}: differs_from names no step {step.differs_from!r}")
    if step.on_answer and not step.kind.asks:
        problems.append(f"step {step.name!r}: only a question has `on_answer` effects")
    if step.forget and step.kind is not StepKind.END:
        problems.append(f"step {step.name!r}: only an `end` step can `forget` the answers")
    if step.kind is StepKind.CHOICE and not step.options:
        problems.append(f"step {step.name!r} is a choice without options")
    if step.kind is StepKind.AMOUNT and not step.ranges:
        problems.append(f"step {step.name!r} is an amount without ranges")
    if step.kind in (StepKind.NUMBER, StepKind.AMOUNT) and (
        step.minimum is None or step.maximum is None or step.minimum > step.maximum
    ):
        problems.append(f"step {step.name!r} needs `min` <= `max`")
    problems.extend(_check_collecting(step, sources))
    for option in step.options:
        if not _fits_in_a_button(option):
            problems.append(f"step {step.name!r}: option {option!r} does not fit in a button")
    for dependency in step.depends_on:
        if dependency not in names:
            problems.append(f"step {step.name!r} depends on unknown step {dependency!r}")
    return problems


def _fits_in_a_button(option: str) -> bool:
    try:
        FlowPress(_LONGEST_VERSION, "a", option).encode()
    except ValueError:  # over 64 bytes, or holding the separator
        return False
    return True


def _check_collecting(step: Step, sources: frozenset[str]) -> list[str]:
    """The kinds added for the application: text bounds, sources, files, repeating groups."""
    problems = []
    name = step.name
    if step.kind is StepKind.TEXT and (step.maximum is None or step.maximum < 1):
        problems.append(f"step {name!r} is a text without a positive `max` length")
    if step.kind is StepKind.MULTI and not (step.options or step.source):
        problems.append(f"step {name!r} is a multi without options or a `source`")
    if step.kind is StepKind.DOCUMENTS and not step.source:
        problems.append(f"step {name!r} is a documents step without a `source` checklist")
    if step.source is not None and step.source not in sources:
        problems.append(f"step {name!r} reads unknown source {step.source!r}")
    if step.source is not None and step.kind not in (StepKind.MULTI, StepKind.DOCUMENTS):
        problems.append(f"step {name!r}: only multi and documents steps take a `source`")
    if step.kind in (StepKind.MULTI, StepKind.DOCUMENTS, StepKind.REPEAT):
        for option in set(step.options) & RESERVED_VALUES:
            problems.append(f"step {name!r}: option {option!r} is a reserved word")
    if step.kind is StepKind.DOCUMENTS and not 0 < step.max_bytes <= DEFAULT_MAX_BYTES:
        problems.append(f"step {name!r}: `max_bytes` must be between 1 and {DEFAULT_MAX_BYTES}")
    if step.kind is StepKind.REPEAT:
        problems.extend(_check_fields(step))
    elif step.fields:
        problems.append(f"step {name!r}: only a repeat step has `fields`")
    return problems


def _check_fields(step: Step) -> list[str]:
    if not step.fields:
        return [f"step {step.name!r} is a repeat without `fields`"]
    problems = []
    if step.maximum is None or step.maximum < 1:
        problems.append(f"step {step.name!r} is a repeat without a positive `max` of records")
    earlier: set[str] = set()
    for item in step.fields:
        short = item.step.name.rpartition(".")[2]
        if item.step.kind not in _FIELD_KINDS:
            kinds = ", ".join(sorted(kind.value for kind in _FIELD_KINDS))
            problems.append(f"field {item.step.name!r} must be one of: {kinds}")
        problems.extend(
            f"field {item.step.name!r} {problem}"
            for problem in _check_step(replace(item.step, next=(NextRule(to="_"),)), set())
        )
        if item.when is not None:
            for answer in item.when.answers_read():
                if answer not in earlier:
                    problems.append(f"field {item.step.name!r} reads {answer!r}, not asked before")
            for fact in item.when.context_read():
                problems.append(f"field {item.step.name!r} reads context {fact!r}")
        earlier.add(short)
    return problems


def _check_reachable(flow: Flow) -> list[str]:
    seen: set[str] = set()
    frontier = [rule.to for rule in flow.start]
    while frontier:
        name = frontier.pop()
        if name in seen or name not in flow.steps:
            continue
        seen.add(name)
        step = flow.steps[name]
        frontier.extend(rule.to for rule in step.next)
        if step.kind is StepKind.RESULT and "review" in step.actions:
            frontier.extend(s.name for s in flow.steps.values() if s.kind is StepKind.REVIEW)
    return [f"step {name!r} is unreachable" for name in flow.steps if name not in seen]
