"""Every flow the bot knows, by name."""

from __future__ import annotations

from collections.abc import Callable

from bot.flows.application import load_application_flow
from bot.flows.screening import load_screening_flow
from bot.flows.spec import Flow

FLOW_LOADERS: dict[str, Callable[[], Flow]] = {
    "screening": load_screening_flow,
    "application": load_application_flow,
}
