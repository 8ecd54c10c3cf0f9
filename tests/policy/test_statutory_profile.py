"""The statutory path and the documents as policy data: what the profile says, with sources,
and a broken declaration refused at load with the place named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.policy import ProfileError, default_profile_path, load_profile
from tests.policy.test_profile import Mutation, broken_profile, programme

PROFILE = load_profile(default_profile_path())


def test_dibao_time_limit_is_in_working_days_extendable_once_notice_not_counted() -> None:
    dibao = PROFILE.programme("dibao")
    assert dibao is not None and dibao.home_visit and dibao.public_notice
    limit = dibao.time_limit
    assert (limit.days, limit.working_days, limit.extended_days) == (30, True, 45)
    assert limit.pauses == frozenset({"public_notice"})
    assert "民发〔2021〕57号" in limit.source and "UNVERIFIED" not in limit.source
    assert "渝民发〔2023〕3号" in limit.caveat and "UNVERIFIED" in limit.caveat


def test_the_public_notice_runs_seven_days_with_its_source() -> None:
    notice = PROFILE.public_notice
    assert (notice.days, notice.working_days) == (7, False)
    assert "公示期为7天" in notice.source


def test_document_entries_say_when_they_apply() -> None:
    dibao = PROFILE.programme("dibao")
    assert dibao is not None
    needs = {need.document.id: need for need in dibao.needs}
    assert needs["disability_certificate"].someone == "disabled"
    assert needs["diagnosis"].someone == "ill"
    assert needs["id_card"].someone is None
    medical = PROFILE.programme("medical")
    assert medical is not None
    status = next(n for n in medical.needs if n.document.id == "assistance_status_proof")
    assert status.not_applying_for == frozenset({"dibao", "tekun"})


def time_limit(**changes: object) -> Mutation:
    def mutate(data: Any) -> None:
        programme(data, "dibao")["time_limit"].update(changes)

    return mutate


def document_entry(entry: object) -> Mutation:
    def mutate(data: Any) -> None:
        programme(data, "dibao")["documents"].append(entry)

    return mutate


def drop_notice(data: Any) -> None:
    del data["public_notice"]


@pytest.mark.parametrize(
    ("file", "mutate", "message"),
    [
        (
            "programmes.yaml",
            time_limit(pauses=["lunch"]),
            r"dibao: time_limit: unknown pause lunch",
        ),
        (
            "programmes.yaml",
            time_limit(extended_days=20),
            r"dibao: time_limit: extended_days must be more than days",
        ),
        (
            "programmes.yaml",
            document_entry({"id": "diagnosis", "someone": "tall"}),
            r"dibao: diagnosis: someone must be one of disabled, ill",
        ),
        (
            "programmes.yaml",
            document_entry({"id": "hukou_book", "not_applying_for": ["lottery"]}),
            r"dibao: hukou_book: unknown programme lottery",
        ),
        ("profile.yaml", drop_notice, r"profile\.yaml: public_notice: missing"),
    ],
)
def test_a_broken_statutory_declaration_is_refused(
    tmp_path: Path, file: str, mutate: Mutation, message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(broken_profile(tmp_path, file, mutate))
