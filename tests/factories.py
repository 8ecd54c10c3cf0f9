"""Synthetic applicants for tests: valid-looking numbers, invented people."""

from __future__ import annotations

from dataclasses import replace

from bot.casework.drafts import ApplicationDraft

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643(first17: str) -> str:
    """A synthetic resident ID number: the 17 digits given and the right check character."""
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def draft(resident_id: int, **changes: object) -> ApplicationDraft:
    """王秀英 of 黄荆村, Baisha, applying for herself for 低保 and medical assistance."""
    base = ApplicationDraft(
        resident_id=resident_id,
        locale="zh-CN",
        programmes=("dibao", "medical"),
        applicant_name="王秀英",
        applicant_id_number="360426199101010071",
        applicant_phone="13812345678",
        subject="self",
        subject_name="王秀英",
        subject_id_number="360426199101010071",
        town_id="baisha",
        village="黄荆村",
        economic_check_authorised=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]
