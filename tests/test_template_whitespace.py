"""Every template, in both locales, renders its whitespace right: no sentences glued together
("them.One form") and no doubled blank lines, whichever of its conditions hold.

Templates are rendered with sample values standing in for every variable: a sample is text,
a number, a list of one to three samples (so loops and unpacking run), and is true in one
pass and false in the other, so both sides of each ``{% if %}`` are seen. The real renders of
the whole suite are checked the same way (``check_whitespace`` in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, Undefined

from bot.policy import default_profile_path, load_profile
from bot.render import LOCALES, TEMPLATES
from tests.conftest import whitespace_problems

# Templates whose variables need a shape samples cannot take, with where their real renders
# are checked instead (by the suite-wide check).
STRUCTURED = {
    "casework/notice.html": "includes casework/notice/<action>.html: tests/casework",
    "my/application.html": "a task's ledger lines: tests/relay/test_my_applications.py",
    "staff/task_card.html": "days left and states: tests/casework/test_departments.py",
    "staff_admin/error.html": "a label with its values: tests/staff/test_admin_commands.py",
    "casework/time_limit.html": "a task's time limit: tests/casework",
}


class Sample(Undefined):
    """Any variable: prints as "Sample", is a list of ``width`` samples, compares as unequal."""

    __slots__ = ()
    width = 1
    truthy = True

    def __str__(self) -> str:
        return "Sample"

    def __iter__(self) -> Iterator[Any]:
        return iter([Sample() for _ in range(Sample.width)])

    def __bool__(self) -> bool:
        return Sample.truthy

    def __len__(self) -> int:
        return Sample.width

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Sample()

    def __getitem__(self, key: object) -> Any:
        return Sample()

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return Sample()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __int__(self) -> int:
        return 1

    def __neg__(self) -> Any:
        return Sample()

    def __add__(self, other: object) -> Any:
        return Sample()

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __add__


def environment(locale: str) -> Environment:
    """The renderer's settings (bot/render.py), with samples for every variable and label."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES / locale),
        autoescape=True,
        undefined=Sample,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals.update(
        label=lambda key, **params: "Label",
        locale=locale,
        profile=load_profile(default_profile_path()),
    )
    return env


def templates(locale: str) -> list[str]:
    folder = TEMPLATES / locale
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))


def render(env: Environment, name: str, *, truthy: bool) -> str | None:
    """The template rendered with samples, trying lists of one to three; None if none fit."""
    Sample.truthy = truthy
    try:
        for width in (1, 2, 3):
            Sample.width = width
            try:
                return env.get_template(name).render().strip()
            except (ValueError, TypeError):
                continue  # unpacking wanted another number of values
        return None
    finally:
        Sample.width, Sample.truthy = 1, True


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_renders_its_whitespace_right(locale: str) -> None:
    env = environment(locale)
    names = templates(locale)
    assert len(names) > 100
    problems: list[str] = []
    for name in names:
        if name in STRUCTURED:
            continue
        for truthy in (True, False):
            text = render(env, name, truthy=truthy)
            assert text is not None, f"{locale}/{name} cannot be rendered with samples"
            problems += [f"{locale}/{name}: {p}" for p in whitespace_problems(text, locale)]
    assert problems == []


@pytest.mark.parametrize(
    ("text", "locale", "problem"),
    [
        ("Tap to untick.One form covers them all.", "en", "glued"),
        ("you may send it first.(This conversation is the form.)", "en", "glued"),
        ("第一行。\n\n\n第二行。", "zh-CN", "blank"),
        ("Line one.\n\n \nLine two.", "en", "blank"),
    ],
)
def test_the_check_sees_what_it_is_for(text: str, locale: str, problem: str) -> None:
    assert any(problem in p for p in whitespace_problems(text, locale))


def test_the_check_lets_good_text_be() -> None:
    good = "e.g. 800 2026-04. J.J. Smith, No. 5.\n\nTwo paragraphs (one blank line) are fine."
    assert whitespace_problems(good, "en") == []
    assert whitespace_problems("已收到。还差：身份证。\n\n谢谢！", "zh-CN") == []


def test_structured_templates_exist() -> None:
    for locale in LOCALES:
        for name in STRUCTURED:
            assert (TEMPLATES / locale / name).is_file(), name
