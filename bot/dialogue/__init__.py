"""The resident's side of the bot: one update at a time through the flows and their effects.

Importing the package registers every host effect (``bot/dialogue/effects.py``) the flows
may declare.
"""

from bot.dialogue import application_effects, consent, screening_effects
from bot.dialogue.core import Reply, ResidentDialogue

__all__ = ["Reply", "ResidentDialogue", "application_effects", "consent", "screening_effects"]
