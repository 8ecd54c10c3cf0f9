"""The bundled profile loads complete, and a broken profile fails at load with a named problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.policy import (
    LocalText,
    ProfileError,
    ProgrammeKind,
    TownKind,
    default_profile_path,
    load_profile,
)

PROFILE = load_profile(default_profile_path())
LOCALES = ("zh-CN", "en")


def both_locales(text: LocalText) -> bool:
    return all(text.texts.get(locale, "").strip() for locale in LOCALES)


def test_bundled_profile_basics() -> None:
    assert PROFILE.id == "jiangjin"
    assert PROFILE.prefix == "JJ"
    assert PROFILE.administrative_code == "500116"
    assert PROFILE.locales == LOCALES
    assert both_locales(PROFILE.name)


def test_towns() -> None:
    assert len(PROFILE.towns) == 30
    assert len({t.id for t in PROFILE.towns}) == 30
    streets = {t.id for t in PROFILE.towns if t.kind is TownKind.STREET}
    assert streets == {"jijiang", "degan", "shuangfu", "dingshan", "shengquan"}
    baisha = PROFILE.town("baisha")
    assert baisha is not None
    assert baisha.kind is TownKind.TOWN
    assert baisha.name.text("zh-CN") == "白沙镇"
    assert baisha.name.text("en") == "Baisha Town"
    assert PROFILE.town("atlantis") is None
    assert all(both_locales(t.name) for t in PROFILE.towns)


def test_departments() -> None:
    assert PROFILE.departments["civil_affairs"].name.text("zh-CN") == "区民政局"
    assert all(both_locales(d.name) for d in PROFILE.departments.values())


def test_programmes_are_complete() -> None:
    ids = {p.id for p in PROFILE.programmes}
    relief = {"dibao", "tekun", "disaster", "medical", "education", "housing", "employment"}
    relief |= {"temporary", "disability"}
    elder = {"home_care_bed", "aging_modification", "community_elder_care", "elder_care_subsidy"}
    relief |= {"dibao_single"}
    child = {"unsupported_child", "orphan", "child_in_difficulty", "childcare_subsidy"}
    assert ids == relief | elder | child
    for kind, members in (
        (ProgrammeKind.RELIEF, relief),
        (ProgrammeKind.ELDER_CARE, elder),
        (ProgrammeKind.CHILD_CARE, child),
    ):
        assert {p.id for p in PROFILE.programmes if p.kind is kind} == members
    for programme in PROFILE.programmes:
        assert PROFILE.departments[programme.department.id] == programme.department
        assert programme.documents, programme.id
        assert all(both_locales(d.name) for d in programme.documents), programme.id
        assert programme.time_limit.days > 0, programme.id
        assert programme.time_limit.source, programme.id
        assert both_locales(programme.time_limit.note), programme.id
        assert both_locales(programme.name), programme.id
        assert both_locales(programme.criteria), programme.id
        assert programme.rules, programme.id
        assert PROFILE.programme(programme.id) is programme
    assert PROFILE.programme("lottery") is None


def test_documents_are_shared_between_programmes() -> None:
    dibao, tekun = PROFILE.programme("dibao"), PROFILE.programme("tekun")
    assert dibao is not None and tekun is not None
    assert {d.id for d in dibao.documents} & {d.id for d in tekun.documents} >= {
        "id_card",
        "hukou_book",
        "economic_check_authorisation",
    }


def test_dependencies_are_evaluated_first() -> None:
    order = [p.id for p in PROFILE.evaluation_order]
    for dependant in ("medical", "education", "housing", "employment", "disability"):
        assert order.index("dibao") < order.index(dependant)
    assert sorted(order) == sorted(p.id for p in PROFILE.programmes)


def test_every_figure_has_a_source() -> None:
    for version in PROFILE.standards_versions:
        for name, figure in version.figures.items():
            assert figure.source.strip(), f"{version.version} {name}"


@pytest.mark.parametrize(
    ("on", "version", "figures"),
    [
        (date(2020, 9, 1), "2020-09-01", {"dibao_urban": 620, "dibao_rural": 496}),
        (date(2021, 9, 1), "2021-09-01", {"dibao_urban": 636, "unsupported_child": 1225}),
        (date(2023, 9, 1), "2023-09-01", {"dibao_rural": 600, "tekun_basic": 955}),
        (date(2025, 3, 1), "2025-01-01", {"dibao_urban": 770, "orphan_institution": 1851}),
        # 2026 changes a few figures and inherits the rest.
        (
            date(2026, 1, 1),
            "2026-01-01",
            {"dibao_urban": 770, "orphan_institution": 2000, "elder_care_subsidy_max": 800},
        ),
    ],
)
def test_standards_in_force(on: date, version: str, figures: dict[str, int]) -> None:
    standards = PROFILE.standards_in_force(on)
    assert standards.version == version
    for name, value in figures.items():
        assert standards.figures[name].value == value


def test_figures_that_start_later_are_absent_before() -> None:
    figures = PROFILE.standards_in_force(date(2025, 12, 31)).figures
    assert "elder_care_subsidy_max" not in figures
    assert "disability_living" not in figures


def test_no_standards_before_the_first_version() -> None:
    with pytest.raises(ProfileError, match="no standards in force on 2020-08-31"):
        PROFILE.standards_in_force(date(2020, 8, 31))


def test_urgent_guidance() -> None:
    assert set(PROFILE.urgent_guidance) == {"no_food", "no_shelter", "at_risk"}
    for text in PROFILE.urgent_guidance.values():
        assert both_locales(text)
        assert "110" in text.text("zh-CN") and "110" in text.text("en")


def test_local_text_falls_back_to_chinese() -> None:
    text = LocalText({"zh-CN": "低保"})
    assert text.text("en") == "低保"
    assert hash(text) == hash(LocalText({"zh-CN": "低保"}))


# --- broken profiles ------------------------------------------------------------------------

Mutation = Callable[[Any], None]
REASON = {"zh-CN": "理由", "en": "reason"}


def broken_profile(tmp_path: Path, file: str, mutate: Mutation) -> Path:
    """A copy of the bundled profile with one YAML file changed."""
    folder = tmp_path / "profile"
    shutil.copytree(default_profile_path(), folder)
    data = yaml.safe_load((folder / file).read_text(encoding="utf-8"))
    mutate(data)
    (folder / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def programme(data: Any, programme_id: str) -> Any:
    return next(p for p in data["programmes"] if p["id"] == programme_id)


def set_first_rule(**changes: object) -> Mutation:
    def mutate(data: Any) -> None:
        rules = programme(data, "disaster")["rules"]
        rules[0] = {**rules[0], **changes}

    return mutate


def add_rule(programme_id: str, **condition: object) -> Mutation:
    """Append a condition (with reasons in both locales) to a programme's rules."""

    def mutate(data: Any) -> None:
        programme(data, programme_id)["rules"].append(
            {**condition, "holds": REASON, "fails": REASON}
        )

    return mutate


def drop_english_name(data: Any) -> None:
    del programme(data, "dibao")["name"]["en"]


def drop_english_reason(data: Any) -> None:
    programme(data, "disaster")["rules"][0]["fails"] = {"zh-CN": "不符合"}


def drop_fails_reason(data: Any) -> None:
    del programme(data, "disaster")["rules"][0]["fails"]


def set_department(data: Any) -> None:
    programme(data, "dibao")["department"] = "welfare_office"


def unsourced_figure(data: Any) -> None:
    data["versions"][0]["figures"]["dibao_urban"]["source"] = ""


def name_cut_by_a_comma(data: Any) -> None:
    # What YAML makes of {zh-CN: 社区养老服务, en: Community care (day care, meals)}.
    programme(data, "dibao")["name"] = {
        "zh-CN": "最低生活保障",
        "en": "Minimum living allowance (urban",
        "rural)": None,
    }


def unknown_document(data: Any) -> None:
    programme(data, "tekun")["documents"].append("passport")


def unknown_programme_key(data: Any) -> None:
    programme(data, "dibao")["deadline"] = 30


@pytest.mark.parametrize(
    ("file", "mutate", "message"),
    [
        (
            "programmes.yaml",
            set_first_rule(fact="salary"),
            r"programmes\.yaml: programme disaster: rule 1: unknown fact 'salary'",
        ),
        (
            "programmes.yaml",
            add_rule("dibao", fact="per_capita_income", below="dibao_line_2030"),
            r"programmes\.yaml: programme dibao: rule 3: unknown standard figure 'dibao_line_2030'",
        ),
        (
            "programmes.yaml",
            add_rule("dibao", in_force="lottery_prize"),
            r"programme dibao: rule 3: unknown standard figure 'lottery_prize'",
        ),
        (
            "programmes.yaml",
            set_department,
            r"programmes\.yaml: programme dibao: unknown department 'welfare_office'",
        ),
        (
            "programmes.yaml",
            drop_english_name,
            r"programmes\.yaml: programme dibao: name: missing locale 'en'",
        ),
        (
            "programmes.yaml",
            name_cut_by_a_comma,
            r"programme dibao: name: unexpected key 'rural\)' beside the locales",
        ),
        (
            "programmes.yaml",
            drop_english_reason,
            r"programme disaster: rule 1: fails: missing locale 'en'",
        ),
        (
            "programmes.yaml",
            drop_english_reason,
            r"programme disaster: rule 1: fails: missing locale 'en'",
        ),
        ("programmes.yaml", drop_fails_reason, r"programme disaster: rule 1: no 'fails' reason"),
        (
            "programmes.yaml",
            add_rule("dibao", programme="medical"),
            r"programme dibao: dependency cycle dibao -> medical -> dibao",
        ),
        (
            "programmes.yaml",
            add_rule("dibao", programme="lottery"),
            r"programme dibao: rule 3: unknown programme 'lottery'",
        ),
        (
            "programmes.yaml",
            add_rule("dibao", fact="health", equals="sick"),
            r"programme dibao: rule 3: 'sick' is not an answer of fact 'health'",
        ),
        (
            "programmes.yaml",
            add_rule("dibao", fact="age", bellow=60),
            r"programme dibao: rule 3: fact 'age' needs exactly one of",
        ),
        (
            "programmes.yaml",
            set_first_rule(holds={"zh-CN": "月薪", "en": "a salary of {salary}"}),
            r"programme disaster: rule 1: holds \(en\): unknown placeholder '\{salary\}'",
        ),
        ("programmes.yaml", unknown_document, r"programme tekun: unknown document 'passport'"),
        (
            "programmes.yaml",
            add_rule("dibao", fact="age", at_least=60, within="town"),
            r"programme dibao: rule 3: unexpected key\(s\) within",
        ),
        (
            "programmes.yaml",
            unknown_programme_key,
            r"programmes\.yaml: programme \d+: unexpected key\(s\) deadline",
        ),
        ("standards.yaml", unsourced_figure, r"standards\.yaml: .*dibao_urban: .*needs a source"),
    ],
)
def test_broken_profile_is_refused(
    tmp_path: Path, file: str, mutate: Mutation, message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(broken_profile(tmp_path, file, mutate))


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "profile"
    shutil.copytree(default_profile_path(), folder)
    (folder / "towns.yaml").unlink()
    with pytest.raises(ProfileError, match=r"towns\.yaml: cannot read"):
        load_profile(folder)


def test_names_are_whole_in_every_locale() -> None:
    elder_care = PROFILE.programme("community_elder_care")
    assert elder_care is not None
    assert elder_care.name.text("en") == "Community elder care (day care, meals)"
    vouchers = PROFILE.programme("elder_care_subsidy")
    assert vouchers is not None and "服务消费补贴" in vouchers.name.text("zh-CN")
