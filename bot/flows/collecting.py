"""The steps that collect more than one tap: free text, identity numbers, toggled lists,
document checklists and repeating groups.

Pure functions over a step, the resident's input and the step's work in progress (kept in the
dialog state's view under ``partial``, so a restart or a pause loses nothing). Each returns a
``Move``: what the engine should do next (show the step again, with or without a hint, or take
an answer). The engine owns navigation and screens; this module owns reading.
"""

from __future__ import annotations

import fnmatch
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.flows.identity import IdProblem, PhoneProblem, read_id_number, read_mobile
from bot.flows.model import Button, FileInput, Label, press
from bot.flows.parsing import match_option, normalise, parse_yes_no, strip_invisible
from bot.flows.spec import Field, Step

# Markup in a name would be shown to staff as text, never run, but it is never a real answer.
_MARKUP = re.compile(r"[<>]")
_SPACES = re.compile(r"\s+")
_TOKEN_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_SKIP_WORDS = frozenset(
    {
        "跳过",
        "先跳过",
        "以后再交",
        "以后再补",
        "以后补",
        "稍后",
        "没有",
        "没带",
        "skip",
        "later",
        "send later",
        "not now",
        "none",
    }
)
_DONE_WORDS = frozenset({"完成", "好了", "选好了", "就这些", "done", "finished", "that's all"})
_BYTES_PER_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Move:
    """What reading an input decided: show again (maybe with a hint), take an answer, or ignore."""

    answer: Any = None
    complete: bool = False
    hint: Label | None = None
    stale: bool = False


SHOW = Move()
STALE = Move(stale=True)


def complete(answer: Any) -> Move:
    return Move(answer=answer, complete=True)


def hint(key: str, **params: Any) -> Move:
    return Move(hint=Label.of(key, **params))


# ---- text, ID numbers, phone numbers ---------------------------------------------------------


def read_text(step: Step, text: str) -> Move:
    """A name or a place: spaces tidied, bounded, and no markup."""
    cleaned = _SPACES.sub(" ", strip_invisible(text)).strip()
    limit = step.maximum or 0
    if not cleaned:
        return hint("hint.empty")
    if len(cleaned) > limit:
        return hint("hint.text_too_long", max=limit)
    if _MARKUP.search(cleaned):
        return hint("hint.text_markup")
    return complete(cleaned)


_ID_HINTS = {
    IdProblem.LENGTH: "hint.id_length",
    IdProblem.FORMAT: "hint.id_format",
    IdProblem.BIRTH_DATE: "hint.id_birth_date",
    IdProblem.CHECK: "hint.id_check",
}
_PHONE_HINTS = {
    PhoneProblem.LENGTH: "hint.phone_length",
    PhoneProblem.FORMAT: "hint.phone_format",
    PhoneProblem.LANDLINE: "hint.phone_landline",
    PhoneProblem.PREFIX: "hint.phone_prefix",
}


def read_id(text: str, today: date) -> Move:
    number, problem = read_id_number(text, today)
    if problem is not None:
        digits = sum(ch.isalnum() for ch in normalise(text))
        return hint(_ID_HINTS[problem], count=digits)
    return complete(number)


def read_phone(text: str) -> Move:
    number, problem = read_mobile(text)
    if problem is not None:
        digits = sum(ch.isdigit() for ch in normalise(text))
        return hint(_PHONE_HINTS[problem], count=digits)
    return complete(number)


# ---- multi: toggled options, then "done" -------------------------------------------------------


def selected(partial: Any, previous: Any, options: Mapping[str, str]) -> list[str]:
    """What is ticked now: the work in progress, else the earlier (or pre-selected) answer."""
    chosen = partial if isinstance(partial, list) else previous
    picked = set(chosen) if isinstance(chosen, list) else set()
    return [option for option in options if option in picked]


def toggle(current: Sequence[str], option: str, options: Mapping[str, str]) -> list[str] | None:
    if option not in options:
        return None
    picked = set(current) ^ {option}
    return [o for o in options if o in picked]


def finish_multi(current: Sequence[str], step: Step) -> Move:
    if len(current) < max(step.minimum or 1, 1):
        return hint("hint.multi_none")
    return complete(list(current))


def read_multi(step: Step, text: str, current: Sequence[str], options: Mapping[str, str]) -> Move:
    """ "1 3" or names: exactly those; "done" or "yes": what is ticked now."""
    cleaned = normalise(text)
    if cleaned in _DONE_WORDS:
        return finish_multi(current, step)
    tokens = [t for t in _TOKEN_SEPARATORS.split(cleaned) if t]
    picked = [match_option(token, options) for token in tokens]
    if tokens and None not in picked:
        chosen = set(picked)
        return finish_multi([o for o in options if o in chosen], step)
    # "1" is also a yes; it was read as the first option above, as the buttons are numbered.
    if parse_yes_no(cleaned):
        return finish_multi(current, step)
    return hint("hint.multi_choose")


def multi_buttons(
    v: int, options: Mapping[str, str], current: Sequence[str]
) -> list[tuple[Button, ...]]:
    rows: list[tuple[Button, ...]] = [
        # Numbered, so that typing "1 3" matches what the resident sees.
        (
            Button(
                f"{'✅' if option in current else '⬜'} {n}. {label}",
                press(v, "m", option),
            ),
        )
        for n, (option, label) in enumerate(options.items(), 1)
    ]
    rows.append((Button(Label.of("button.done"), press(v, "a", "done")),))
    return rows


# ---- documents: one checklist item at a time ---------------------------------------------------


def remaining(done: Mapping[str, Any], checklist: Mapping[str, str]) -> list[str]:
    return [item for item in checklist if item not in done]


def is_skip(text: str) -> bool:
    return normalise(text).rstrip("。.!！ ") in _SKIP_WORDS


def file_record(step: Step, file: FileInput) -> Move:
    """The file as the application keeps it, or why it cannot be taken."""
    if file.size is not None and file.size > step.max_bytes:
        return hint("hint.file_too_large", max=step.max_bytes // _BYTES_PER_MB)
    mime = file.mime_type
    if file.kind == "photo":
        mime = mime or "image/jpeg"
    elif mime is None and file.file_name:
        mime = mimetypes.guess_type(file.file_name)[0]
    if mime is None or not any(fnmatch.fnmatch(mime.lower(), kind) for kind in step.accept):
        return hint("hint.file_type")
    return complete(
        {
            "kind": file.kind,
            "file_id": file.file_id,
            "mime_type": mime,
            "size": file.size,
            "file_name": file.file_name,
        }
    )


def document_buttons(v: int, *, kept: bool, left: int) -> list[tuple[Button, ...]]:
    """Skip (or keep) this item; with more than one left, skip them all in one tap."""
    label = "button.keep_document" if kept else "button.skip_document"
    rows: list[tuple[Button, ...]] = [(Button(Label.of(label), press(v, "a", "skip")),)]
    if left > 1:
        rows.append((Button(Label.of("button.skip_all_documents"), press(v, "a", "skip_all")),))
    return rows


# ---- repeat: a list of records, a few questions each ------------------------------------------


def next_field(step: Step, current: Mapping[str, Any]) -> Field | None:
    """The first question of the record not yet answered and that applies to it."""
    for item in step.fields:
        short = short_name(item)
        if short in current:
            continue
        if item.when is None or item.when.holds(current, {}):
            return item
    return None


def short_name(item: Field) -> str:
    return item.step.name.rpartition(".")[2]


def repeat_buttons(v: int, step: Step, records: Sequence[Any]) -> list[tuple[Button, ...]]:
    rows: list[tuple[Button, ...]] = []
    if len(records) < (step.maximum or 0):
        rows.append((Button(Label.of("button.add_record"), press(v, "g", "add")),))
    if records:
        rows.append((Button(Label.of("button.drop_record"), press(v, "g", "drop")),))
    done = "button.records_done" if records else "button.no_records"
    rows.append((Button(Label.of(done), press(v, "a", "done")),))
    return rows


def read_more(text: str) -> str | None:
    """At "anyone else?": yes adds a record, no (or done) finishes; None when neither."""
    cleaned = normalise(text)
    if cleaned in _DONE_WORDS:
        return "done"
    yes = parse_yes_no(cleaned)
    if yes is None:
        return None
    return "add" if yes else "done"
