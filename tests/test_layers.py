"""The layers keep to their places: what each package may import, and no import circles.

Module-level imports only (imports inside a function or under ``TYPE_CHECKING`` are for
typing or start-up and do not tie modules together at import time).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "sandbox")

# The application flow's host (what the engine asks of the world: programmes, checklists,
# the draft it hands to casework) stands between the engine and casework.
FLOW_HOSTS = frozenset({"bot.flows.application", "bot.flows.screening"})

# (importer prefix, forbidden prefix, why)
RULES = [
    ("storage", "bot", "storage is below the bot: it knows tables, not conversations"),
    ("storage", "sandbox", "storage never depends on the stand-in for Telegram"),
    ("bot", "sandbox", "the bot runs against real Telegram; only tests and the sandbox mix"),
    ("bot.flows", "bot.casework", "the flow engine is pure: hosts bring casework to it"),
    ("bot.flows", "bot.handlers", "the flow engine knows no Telegram handler"),
    ("bot.flows", "bot.delivery", "the flow engine returns screens; delivery sends them"),
    ("bot.policy", "bot.flows", "policy is data and rules, below the conversation"),
    ("bot.policy", "bot.casework", "policy is data and rules, below casework"),
    ("bot.policy", "bot", "policy is data and rules: nothing else of ours"),
    ("bot.casework", "bot.handlers", "casework decides; handlers are above it"),
    ("bot.casework", "bot.delivery", "casework writes outbox rows; only delivery sends"),
    ("bot.delivery", "bot.casework", "delivery sends what it is given"),
    ("bot.delivery", "bot.handlers", "delivery is below the handlers"),
    ("bot.render", "bot.casework", "rendering turns screens into text, nothing more"),
    ("bot.callbacks", "bot", "button data is the lowest vocabulary: every layer may build it"),
    ("bot.machines", "bot", "the shared way to build a state machine knows no domain"),
    ("bot.casework", "bot.staff", "casework decides; the staff screens show it, from above"),
    ("bot.flows", "bot.staff", "the flow engine and its hosts know no staff screen"),
    ("bot.delivery", "bot.staff", "delivery sends what it is given"),
    ("bot.staff", "bot.handlers", "staff screens say what to show; handlers are above them"),
    ("bot.staff", "bot.delivery", "staff screens write outbox rows; only delivery sends"),
    ("bot.staff", "bot.dialogue", "staff screens have nothing to do with a resident's dialogue"),
    ("bot.staff", "bot.notices", "staff screens know nothing of policy notices"),
    ("bot.policy", "storage", "policy is data and rules: it knows no table"),
    ("bot.callbacks", "storage", "button data is the lowest vocabulary"),
    ("bot.machines", "storage", "the shared way to build a state machine knows no table"),
    ("bot.flows", "storage", "the flow engine keeps no rows: the dialogue's store does"),
    ("bot.flows", "bot.dialogue", "the flow engine is below the dialogue that runs it"),
    ("bot.flows", "bot.notices", "the flow engine knows nothing of policy notices"),
    ("bot.render", "bot.handlers", "rendering turns screens into text, nothing more"),
    ("bot.render", "bot.delivery", "rendering turns screens into text; delivery sends it"),
    ("bot.render", "bot.dialogue", "rendering turns screens into text, nothing more"),
    ("bot.render", "bot.staff", "rendering turns screens into text, nothing more"),
    ("bot.render", "bot.notices", "rendering turns screens into text, nothing more"),
    ("bot.render", "bot.policy", "rendering turns screens into text, nothing more"),
    ("bot.casework", "bot.dialogue", "casework decides for any caller, not for one dialogue"),
    ("bot.casework", "bot.notices", "casework knows nothing of policy notices"),
    ("bot.dialogue", "bot.handlers", "the dialogue returns replies; handlers are above it"),
    ("bot.dialogue", "bot.delivery", "the dialogue returns replies; only delivery sends"),
    ("bot.dialogue", "bot.staff", "a resident's dialogue builds no staff screen"),
    ("bot.dialogue", "bot.notices", "a resident's dialogue knows nothing of policy notices"),
    ("bot.notices", "bot.handlers", "policy notices decide; handlers are above them"),
    ("bot.notices", "bot.delivery", "policy notices write outbox rows; only delivery sends"),
    ("bot.notices", "bot.casework", "policy notices know nothing of applications"),
    ("bot.notices", "bot.dialogue", "policy notices know nothing of a resident's dialogue"),
    ("bot.notices", "bot.staff", "policy notices know nothing of staff screens"),
    ("bot.delivery", "bot.dialogue", "delivery sends what it is given"),
    ("bot.delivery", "bot.notices", "delivery sends what it is given"),
]

# The few imports across a rule, each with its reason (docs/architecture.md names them too).
# A new one must be added here, so it is a decision rather than a slip.
EXCEPTIONS = {
    ("bot.notices.runner", "bot.delivery.messenger"): (
        "the broadcast loop edits the administrator's progress message in place"
    ),
    ("bot.casework.rights.forget", "bot.notices.subscriptions"): (
        "forgetting a resident withdraws the consent to notices by its purpose"
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports when it is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            body.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            body.extend(node.body)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) for name, path in known.items()}


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize(("importer", "forbidden", "why"), RULES)
def test_each_layer_imports_only_what_is_below_it(
    graph: dict[str, set[str]], importer: str, forbidden: str, why: str
) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _under(module, importer) and module not in FLOW_HOSTS
        for target in targets
        if _under(target, forbidden)
        and not _under(target, importer)
        and (module, target) not in EXCEPTIONS
    )
    assert wrong == [], why


def test_each_exception_is_still_needed(graph: dict[str, set[str]]) -> None:
    """An exception whose import is gone is removed, so the list stays the true one."""
    stale = sorted(f"{m} -> {t}" for m, t in EXCEPTIONS if t not in graph.get(m, set()))
    assert stale == []


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    """Tarjan's strongly connected components: any with two or more modules is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []


# Calls that talk to Telegram directly, outside bot/delivery (the messenger's own methods of
# the same names are the way to do it).
TELEGRAM_CALL = re.compile(
    r"(?<!messenger)\.(send_message|send_photo|send_document|edit_message_text|"
    r"edit_message_reply_markup|edit_message_caption|delete_message|set_my_commands)\("
    r"|query\.answer\("
)
# Not messages to a person: the command line uploads an image once, for its file id; at start
# the bot tells Telegram the commands its menu shows.
OUTSIDE_THE_BOT_PROCESS = {
    "bot/cli_broadcast.py": "uploads the administrator's photo once, for its file id",
    "bot/app.py": "sets the command menu once at start",
}


def test_only_the_delivery_layer_talks_to_telegram() -> None:
    talking = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "sandbox"
        for path in (ROOT / package).rglob("*.py")
        if "delivery" not in path.parts and TELEGRAM_CALL.search(path.read_text(encoding="utf-8"))
    )
    assert talking == sorted(OUTSIDE_THE_BOT_PROCESS)


# Button data built by hand: a literal or f-string starting with a press prefix and "|".
HAND_MADE_DATA = re.compile(r"""(callback_data=|Button\([^,]+,\s*)f?["'](\{v\}|[a-z])\|""")


def test_button_data_is_built_by_the_codec() -> None:
    """Every button's data comes from bot/callbacks.py, so no module invents a format."""
    hand_made = sorted(
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "bot").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HAND_MADE_DATA.search(line)
    )
    assert hand_made == []


# A module this long must say why in its docstring ("Why one module over 400 lines: …").
LONG_MODULE = 420


def test_long_modules_say_why() -> None:
    unexplained = sorted(
        f"{path.relative_to(ROOT)} ({lines} lines)"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONG_MODULE
        and "over 400 lines" not in (ast.get_docstring(ast.parse(path.read_text("utf-8"))) or "")
    )
    assert unexplained == []
