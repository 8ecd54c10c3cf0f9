"""The sandbox page in headless Chromium: a resident completes a screening by clicking and typing.

Debian's chromium (``/usr/bin/chromium``) driven by Playwright's Python package; nothing downloads
a browser. The screenshot in the README (docs/sandbox.png) comes from this test: it is written
there when missing or when UPDATE_SCREENSHOTS=1 (`make screenshot`), and to a temporary folder
otherwise, so that running the tests does not leave a changed picture in every working tree.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

import sandbox.state
from sandbox.demo import ZHANG_AYI
from sandbox.run import Sandbox, SandboxOptions
from tests.factories import ZHANG_GUILAN, after_screening

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "sandbox.png"
# Without the background-networking flags Chromium keeps calling Google, which this closed
# network refuses; Playwright adds --headless and --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAST_BOT_MESSAGE = """() => {
  const all = document.querySelectorAll('.msg.in');
  const last = all[all.length - 1];
  return last ? last.dataset.id + '|' + last.textContent : '';
}"""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def running(tmp_path: Path, migrated_database: Path) -> AsyncIterator[Sandbox]:
    database = tmp_path / "sandbox.db"
    shutil.copy(migrated_database, database)
    options = SandboxOptions(
        port=0,
        database=database,
        migrate=False,
        poll_timeout=1.0,
        # Notices to a resident go out at once rather than gathered over 30 s of real time.
        settings={"_env_file": None, "notify_combine_seconds": 0},
    )
    async with Sandbox(options) as running:
        yield running


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 900},
            locale="zh-CN",
        )
        yield context
        await context.close()


async def act_and_wait_for_the_bot(page: Page, kind: str, value: str) -> None:
    """Type or click like a person, then wait until the bot's newest message changes."""
    before = await page.evaluate(LAST_BOT_MESSAGE)
    if kind == "say":
        await page.locator("#text").fill(value)
        await page.locator("#text").press("Enter")
    else:
        await (
            page.locator(".kb button")
            .filter(has_text=value)
            .get_by_text(value, exact=True)
            .last.click()
        )
    await page.wait_for_function(f"(before) => ({LAST_BOT_MESSAGE})() !== before", arg=before)


def screenshot_path(tmp_path: Path) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        return SCREENSHOT
    return tmp_path / SCREENSHOT.name


async def test_a_resident_completes_a_screening_in_the_browser(
    running: Sandbox, browser: BrowserContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(running.url)
    await expect(page.locator("#bot-status")).to_have_text("机器人运行中")
    await page.locator('.persona[data-key="resident-7001"]').click()
    await expect(page.locator("#chat-title")).to_have_text("张阿姨")

    # An empty chat offers Start, as Telegram does; it sends /start.
    before = await page.evaluate(LAST_BOT_MESSAGE)
    await page.locator(".empty button").click()
    await page.wait_for_function(f"(before) => ({LAST_BOT_MESSAGE})() !== before", arg=before)
    for kind, value in ZHANG_AYI[1:]:
        await act_and_wait_for_the_bot(page, kind, value)

    result = page.locator(".msg.in").last
    await expect(result).to_contain_text("📋 初步结果")
    await expect(result).to_contain_text("最低生活保障")
    await expect(result.locator("strong").first).to_be_visible()  # bold came as an entity
    assert await page.locator(".msg.out").filter(has_text="72岁").count() == 1
    await page.mouse.move(0, 0)  # no hover highlight in the picture
    picture = screenshot_path(tmp_path)
    await page.screenshot(path=str(picture))
    assert picture.stat().st_size > 10_000

    # A phone: the chat fills the screen, and Back shows the list of personas.
    await page.set_viewport_size({"width": 390, "height": 800})
    await expect(page.locator("#sidebar")).to_be_hidden()
    await page.locator("#back").click()
    await expect(page.locator("#sidebar")).to_be_visible()
    await page.locator('.persona[data-key="resident-7001"]').click()

    # The bot stops, then the server: the page says so instead of freezing.
    monkeypatch.setattr(sandbox.state, "BOT_SILENCE_SECONDS", 0.2)
    assert running.application is not None and running.application.updater is not None
    await running.application.updater.stop()
    await expect(page.locator("#banner")).to_contain_text("机器人没有在运行")
    await running.stop()
    await expect(page.locator("#banner")).to_contain_text("连接断开")
    assert errors == []


async def screen_and_apply_in_the_page(page: Page) -> None:
    """张阿姨 starts her empty chat, screens and applies, up to the documents."""
    await page.locator('.persona[data-key="resident-7001"]').click()
    before = await page.evaluate(LAST_BOT_MESSAGE)
    await page.locator(".empty button").click()
    await page.wait_for_function(f"(before) => ({LAST_BOT_MESSAGE})() !== before", arg=before)
    for kind, value in [*ZHANG_AYI[1:], *after_screening(ZHANG_GUILAN)]:
        await act_and_wait_for_the_bot(page, kind, value)


async def test_an_application_reaches_the_window_staff_in_the_browser(
    running: Sandbox, browser: BrowserContext
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.goto(running.url)
    await screen_and_apply_in_the_page(page)
    skip = page.locator(".kb button").filter(has_text="先跳过")
    while await skip.count():
        await act_and_wait_for_the_bot(page, "tap", "⏭️ 先跳过，以后再交")
    await act_and_wait_for_the_bot(page, "tap", "📨 确认提交申请")
    await expect(page.locator(".msg.in").filter(has_text="JJ-").last).to_be_visible()

    # The window staff see the alert arrive live in their group, masked, and accept it.
    await page.locator('.persona[data-key="staff"]').click()
    alert = page.locator(".msg.in").filter(has_text="🆕 新申请").last
    await expect(alert).to_contain_text("张**")
    await expect(alert).to_contain_text("138****6789")
    await alert.locator(".kb button").filter(has_text="受理并转办").click()
    await expect(page.locator(".msg.in").filter(has_text="陈晓").last).to_be_visible()


async def reply_in_the_page(page: Page, message: Locator, text: str) -> None:
    """Reply as in Telegram: the ↩ on a message, then type and send."""
    await message.hover()
    await message.locator("button.reply").click()
    await expect(page.locator("#replying")).to_be_visible()
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")
    await expect(page.locator("#replying")).to_be_hidden()


async def test_an_officer_approves_by_reply_and_the_window_answers_a_question_in_the_browser(
    running: Sandbox, browser: BrowserContext
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(running.url)
    await screen_and_apply_in_the_page(page)
    await act_and_wait_for_the_bot(page, "tap", "⏩ 剩下的都先跳过，以后再交")
    await act_and_wait_for_the_bot(page, "tap", "📨 确认提交申请")
    await expect(page.locator(".msg.in").filter(has_text="JJ-").last).to_be_visible()

    await page.locator('.persona[data-key="staff"]').click()
    alert = page.locator(".msg.in").filter(has_text="🆕 新申请").last
    await alert.locator(".kb button").filter(has_text="受理并转办").click()
    await expect(page.locator(".msg.in").filter(has_text="陈晓").last).to_be_visible()

    # The medical security bureau takes the task on and approves it; the amount and the start
    # month are typed as a reply to the card's question, as officers do in Telegram.
    await page.evaluate("document.querySelector('#personas details').open = true")
    await page.locator('.persona[data-key="department-medical_security"]').click()
    card = page.locator(".msg.in").filter(has_text="JJ-").last
    await card.locator(".kb button").filter(has_text="接收办理").click()
    await card.locator(".kb button").get_by_text("🎉 批准", exact=True).click()
    asking = page.locator(".msg.in").filter(has_text="请回复这条消息，写批准金额").last
    await expect(asking).to_be_visible()
    await reply_in_the_page(page, asking, "800 2026-04")
    sent = page.locator(".msg.out").filter(has_text="800 2026-04").last
    await expect(sent.locator(".quote")).to_contain_text("医疗救助")  # it quotes the card
    approved = page.locator(".msg.in").filter(has_text="已批准").last
    await expect(approved).to_contain_text("800 元，自 2026-04 起")

    # 张阿姨 hears of it, then asks the window a question through the bot.
    await page.locator('.persona[data-key="resident-7001"]').click()
    await expect(page.locator(".msg.in").filter(has_text="800").last).to_be_visible()
    await act_and_wait_for_the_bot(page, "say", "/staff")
    await act_and_wait_for_the_bot(page, "say", "请问钱什么时候到账？")
    if await page.locator(".kb button").filter(has_text="发给工作人员").count():
        await act_and_wait_for_the_bot(page, "tap", "2️⃣ 是发给工作人员的")

    # The window staff see the question and answer it by replying to it.
    await page.locator('.persona[data-key="staff"]').click()
    question = page.locator(".msg.in").filter(has_text="请问钱什么时候到账？").last
    await expect(question).to_be_visible()
    await reply_in_the_page(page, question, "下个月 10 日前到账。")

    await page.locator('.persona[data-key="resident-7001"]').click()
    answer = page.locator(".msg.in").filter(has_text="下个月 10 日前到账。").last
    await expect(answer).to_be_visible()
    assert errors == []
