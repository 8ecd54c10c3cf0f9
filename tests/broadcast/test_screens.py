"""Policy-notice screens render in both locales, with the button data of old."""

from __future__ import annotations

import pytest

from bot.callbacks import BroadcastPress, NoticePress, decode
from bot.notices.broadcasts import Progress
from bot.notices.composer import ask_audience, ask_photo, confirmation
from bot.notices.runner import progress_screen
from bot.notices.subscriptions import consent_screen, menu_screen
from bot.render import LOCALES, RenderedScreen, Renderer
from storage.models import Broadcast, BroadcastStatus, NoticeSubscription, NoticeTopic


def data(shown: RenderedScreen) -> list[str]:
    assert shown.markup is not None
    return [str(b.callback_data) for row in shown.markup.inline_keyboard for b in row]


def texts(shown: RenderedScreen) -> list[str]:
    assert shown.markup is not None
    return [b.text for row in shown.markup.inline_keyboard for b in row]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("locale", LOCALES)
def test_subscription_screens(renderer: Renderer, locale: str) -> None:
    consent = renderer.render(consent_screen(), locale)
    assert data(consent) == ["n|agree", "n|decline"]
    sub = NoticeSubscription(active=True, topics=[NoticeTopic.OLDER], town_only=False)
    menu = renderer.render(menu_screen(sub), locale)
    topics = [f"n|t|{t}" for t in NoticeTopic]
    assert data(menu) == [*topics, "n|t|town", "n|stop"]
    older = texts(menu)[list(NoticeTopic).index(NoticeTopic.OLDER)]
    assert older.startswith("✅") and texts(menu)[-2].startswith("⬜")
    # No town known yet: the town button says to do the self-check first.
    town = texts(menu)[-2]
    sub.town_id = "baisha"
    assert len(texts(renderer.render(menu_screen(sub), locale))[-2]) < len(town)
    sub.active = False
    stopped = renderer.render(menu_screen(sub), locale)
    assert data(stopped) == ["n|resume"] and stopped.text != menu.text
    assert all(isinstance(decode(d), NoticePress) for d in data(menu))


@pytest.mark.parametrize("locale", LOCALES)
def test_composer_and_progress_screens(renderer: Renderer, locale: str) -> None:
    draft = Broadcast(id=7)
    assert data(renderer.render(ask_photo(draft), locale)) == ["b|7|nophoto"]
    assert data(renderer.render(ask_audience(draft), locale)) == ["b|7|everyone"]
    shown = renderer.render(confirmation(draft, "town=<b", 1234), locale)
    assert data(shown) == ["b|7|test", "b|7|send", "b|7|schedule", "b|7|audience", "b|7|discard"]
    assert "town=&lt;b" in shown.text and "1,234" in shown.text  # typed, shown as typed
    assert all(isinstance(decode(d), BroadcastPress) for d in data(shown))

    def progress(status: BroadcastStatus) -> RenderedScreen:
        p = Progress(7, status, 10, 4, 1, 0, 0, 0, 5, 2.0, 150.0)
        return renderer.render(progress_screen(p), locale)

    assert data(progress(BroadcastStatus.SENDING)) == ["b|7|pause", "b|7|cancel"]
    assert data(progress(BroadcastStatus.PAUSED)) == ["b|7|resume", "b|7|cancel"]
    assert data(progress(BroadcastStatus.SCHEDULED)) == ["b|7|cancel"]
    assert progress(BroadcastStatus.FINISHED).markup is None
    assert "#7" in progress(BroadcastStatus.SENDING).text
