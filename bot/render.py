"""Screens to Telegram HTML: jinja2 templates per locale, autoescaped, StrictUndefined."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.flows.model import Label, Screen
from storage.retention import RetentionRules

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


class TemplateMissing(Exception):
    """A screen or label exists in one locale but not in another."""


@dataclass(frozen=True, slots=True)
class RenderedScreen:
    text: str
    markup: InlineKeyboardMarkup | None

    @property
    def stored_markup(self) -> dict[str, Any] | None:
        """The keyboard as an outbox row keeps it (JSON), for the dispatcher to send later."""
        return self.markup.to_dict() if self.markup else None


class Catalogue:
    """The short texts of one locale (buttons, hints, toasts), by dotted key."""

    def __init__(self, entries: Mapping[str, str], locale: str) -> None:
        self.entries = dict(entries)
        self.locale = locale

    def text(self, label: Label) -> str:
        try:
            template = self.entries[label.key]
        except KeyError:
            raise TemplateMissing(f"label {label.key!r} missing in {self.locale}") from None
        if not label.params:
            return template
        # A parameter may itself be a label (a topic's name inside "✅ {name}").
        params = {k: self.text(v) if isinstance(v, Label) else v for k, v in label.params}
        return template.format(**params)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def load_catalogue(locale: str, extra: Mapping[str, str] | None = None) -> Catalogue:
    """``labels.yaml`` and every ``labels/*.yaml`` of the locale (one file per part of the bot)."""
    folder = TEMPLATES / locale
    entries: dict[str, str] = {}
    for path in [folder / "labels.yaml", *sorted((folder / "labels").glob("*.yaml"))]:
        for key, value in _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in entries:
                raise TemplateMissing(f"label {key!r} defined twice in {locale} ({path.name})")
            entries[key] = value
    entries.update(extra or {})
    return Catalogue(entries, locale)


class Renderer:
    """Turns engine screens into text and keyboards for each locale."""

    def __init__(
        self,
        extra_labels: Mapping[str, Mapping[str, str]] | None = None,
        extra_globals: Mapping[str, Any] | None = None,
    ) -> None:
        self.environments: dict[str, Environment] = {}
        self.catalogues: dict[str, Catalogue] = {}
        for locale in LOCALES:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES / locale),
                autoescape=True,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=False,
            )
            catalogue = load_catalogue(locale, (extra_labels or {}).get(locale))
            env.globals["label"] = _label_function(catalogue)
            env.globals["locale"] = locale
            # The retention periods the privacy notices state; the bot passes its settings'.
            env.globals["retention"] = RetentionRules()
            env.globals.update(extra_globals or {})
            self.environments[locale] = env
            self.catalogues[locale] = catalogue

    def catalogue(self, locale: str) -> Catalogue:
        return self.catalogues.get(locale) or self.catalogues[DEFAULT_LOCALE]

    def text(self, label: Label, locale: str) -> str:
        return self.catalogue(locale).text(label)

    def message(self, label: Label, locale: str) -> RenderedScreen:
        """A short text of the catalogue as a message of its own (escaped: sent as HTML)."""
        return RenderedScreen(html.escape(self.text(label, locale), quote=False), None)

    def render(self, screen: Screen, locale: str) -> RenderedScreen:
        locale = locale if locale in self.environments else DEFAULT_LOCALE
        catalogue = self.catalogues[locale]
        context = {
            key: catalogue.text(value) if isinstance(value, Label) else value
            for key, value in screen.context.items()
        }
        try:
            template = self.environments[locale].get_template(screen.template)
        except TemplateNotFound:
            raise TemplateMissing(f"template {screen.template!r} missing in {locale}") from None
        text = template.render(context).strip()
        rows = [
            [
                InlineKeyboardButton(
                    catalogue.text(b.text) if isinstance(b.text, Label) else b.text,
                    callback_data=None if b.url else b.data,
                    url=b.url,
                )
                for b in row
            ]
            for row in screen.keyboard
            if row
        ]
        return RenderedScreen(text=text, markup=InlineKeyboardMarkup(rows) if rows else None)

    def missing_templates(self, names: Iterable[str]) -> list[str]:
        """Template names absent in some locale, as 'locale/name'."""
        missing = []
        for name in names:
            for locale, env in self.environments.items():
                try:
                    env.get_template(name)
                except TemplateNotFound:
                    missing.append(f"{locale}/{name}")
        return missing

    def missing_labels(self, keys: Iterable[str]) -> list[str]:
        keys = list(keys)
        return [
            f"{locale}:{key}"
            for locale, catalogue in self.catalogues.items()
            for key in keys
            if key not in catalogue.entries
        ]


def join_names(names: Iterable[str], locale: str) -> str:
    """A list as the locale writes it: 身份证、户口簿 / ID card, household register."""
    return ("、" if locale.startswith("zh") else ", ").join(names)


def _label_function(catalogue: Catalogue) -> Any:
    def label(key: str, **params: Any) -> str:
        return catalogue.text(Label.of(key, **params))

    return label
