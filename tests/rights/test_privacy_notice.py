"""The privacy notices state the retention periods actually configured, and the rights."""

from __future__ import annotations

import pytest

from bot.app import build_components
from bot.config import load_settings
from bot.flows.model import Screen
from tests.conftest import TEST_SECRET_KEY

NOTICES = ("screening/consent.html", "application/notice.html", "application/consent.html")


@pytest.mark.parametrize("template", NOTICES)
async def test_notices_state_the_configured_periods_and_the_rights(
    database_url: str, template: str
) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        retain_drafts_days=12,
        retain_screenings_days=200,
        retain_outbox_texts_days=9,
    )
    components = build_components(settings)
    try:
        # The context a question screen gets (question.html: number of total, hint).
        screen = Screen(template, {"number": None, "total": 12, "hint": None})
        zh = components.renderer.render(screen, "zh-CN").text
        en = components.renderer.render(screen, "en").text
    finally:
        await components.database.dispose()
    assert "12 天" in zh and "200 天" in zh and "9 天" in zh and "保存 5 年" in zh
    assert "12 days" in en and "200 days" in en and "9 days" in en and "5 years" in en
    for text in (zh, en):
        assert "/mydata" in text and "/forget" in text
    assert "镇街受理窗口更正" in zh and "ask the town window" in en
