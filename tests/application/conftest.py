"""The resident's application conversation: the dialogue submits through real casework."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _casework_wired(casework_wired: None) -> None:
    """Every application test submits through the running bot's casework."""
