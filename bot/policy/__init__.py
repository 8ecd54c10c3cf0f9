"""Policy as data: a district's profile (towns, departments, programmes, standards) and the
eligibility engine that turns screening answers into a verdict per programme."""

from bot.policy.base import DEFAULT_LOCALE, LocalText, ProfileError, TownKind, Verdict
from bot.policy.eligibility import Evaluation, ProgrammeResult, evaluate, income_near_line
from bot.policy.profile import (
    AssetsQuestion,
    Department,
    Document,
    Figure,
    Profile,
    Programme,
    ProgrammeKind,
    StandardsVersion,
    TimeLimit,
    Town,
    default_profile_path,
)
from bot.policy.profile_loading import load_profile

__all__ = [
    "DEFAULT_LOCALE",
    "AssetsQuestion",
    "Department",
    "Document",
    "Evaluation",
    "Figure",
    "LocalText",
    "Profile",
    "ProfileError",
    "Programme",
    "ProgrammeKind",
    "ProgrammeResult",
    "StandardsVersion",
    "TimeLimit",
    "Town",
    "TownKind",
    "Verdict",
    "default_profile_path",
    "evaluate",
    "income_near_line",
    "load_profile",
]
