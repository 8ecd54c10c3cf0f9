"""A real telegram.Bot and Application talking to BotApiState through FakeRequest."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from sandbox.botapi import BotApiState
from sandbox.files import TINY_PNG
from sandbox.request import FakeRequest, UnexpectedRequestError

LI = 42
TOKEN = "123:ABC"
YES_NO = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("是", callback_data="yes"),
            InlineKeyboardButton("否", callback_data="no"),
        ]
    ]
)


@pytest.fixture
def state() -> BotApiState:
    state = BotApiState()
    state.add_user(LI, "Li")
    state.user_sends_text(LI, "/start")
    state.call("getUpdates", {"offset": 2})  # confirm the fixture's update
    return state


@pytest.fixture
def polling_request(state: BotApiState) -> FakeRequest:
    return FakeRequest(state)


@pytest.fixture
async def bot(state: BotApiState, polling_request: FakeRequest) -> AsyncIterator[Bot]:
    bot = Bot(token=TOKEN, request=FakeRequest(state), get_updates_request=polling_request)
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_initialize_asks_get_me(bot: Bot, state: BotApiState) -> None:
    assert bot.username == "yimen_test_bot"
    assert bot.id == 123
    assert state.calls_to("getMe")


async def test_send_message_with_html_and_keyboard(bot: Bot, state: BotApiState) -> None:
    message = await bot.send_message(
        LI, "<b>您好</b>，要申请吗？", parse_mode=ParseMode.HTML, reply_markup=YES_NO
    )
    assert message.text == "您好，要申请吗？"
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 2),)
    assert message.reply_markup == YES_NO
    assert message.chat.id == LI
    call = state.calls[-1]
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == LI
    assert call.params["reply_markup"] == YES_NO.to_dict()
    stored = state.last_bot_message(LI)
    assert stored is not None
    assert stored.html == "<b>您好</b>，要申请吗？"
    assert stored.button_texts == ["是", "否"]


async def test_edit_message_text(bot: Bot, state: BotApiState) -> None:
    message = await bot.send_message(LI, "第一步", reply_markup=YES_NO)
    edited = await bot.edit_message_text("第二步", chat_id=LI, message_id=message.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "第二步"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("第二步", chat_id=LI, message_id=message.message_id)


async def test_answer_callback_query(bot: Bot, state: BotApiState) -> None:
    message = await bot.send_message(LI, "同意吗？", reply_markup=YES_NO)
    update = Update.de_json(state.user_taps(LI, LI, message.message_id, "yes"), bot)
    assert update.callback_query is not None
    assert update.callback_query.data == "yes"
    assert await bot.answer_callback_query(update.callback_query.id, text="已记录")
    assert state.callback_answer(update.callback_query.id) == {
        "text": "已记录",
        "show_alert": False,
    }
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_send_photo_bytes_and_download_it(bot: Bot, state: BotApiState) -> None:
    message = await bot.send_photo(LI, photo=TINY_PNG, caption="<i>照片</i>", parse_mode="HTML")
    assert message.caption == "照片"
    assert state.calls[-1].files["photo"][1] == TINY_PNG
    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(f"https://api.telegram.org/file/bot{TOKEN}/photos/")
    assert await file.download_as_bytearray() == bytearray(TINY_PNG)


async def test_send_document_file_object(bot: Bot, state: BotApiState) -> None:
    content = "低保申请材料清单".encode()
    message = await bot.send_document(LI, document=io.BytesIO(content), filename="清单.txt")
    assert message.document is not None
    assert message.document.file_name == "清单.txt"
    file = await message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == content


async def test_download_a_photo_a_person_sent(bot: Bot, state: BotApiState) -> None:
    png = TINY_PNG + b"\x00extra"
    update = Update.de_json(state.user_sends_photo(LI, png, caption="户口本"), bot)
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()) == png


async def test_long_poll_returns_as_soon_as_a_person_writes(
    bot: Bot, state: BotApiState, polling_request: FakeRequest
) -> None:
    poll = asyncio.create_task(bot.get_updates(offset=2, timeout=30))
    await asyncio.sleep(0.05)
    assert not poll.done()
    started = time.monotonic()
    state.user_sends_text(LI, "我要申请")
    updates = await asyncio.wait_for(poll, timeout=2)
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["我要申请"]
    assert polling_request.request_count == 1
    assert len(state.calls_to("getUpdates")) == 2  # the fixture's confirmation + this poll


async def test_long_poll_wakes_for_updates_from_another_thread(
    bot: Bot, state: BotApiState
) -> None:
    poll = asyncio.create_task(bot.get_updates(offset=2, timeout=30))
    await asyncio.sleep(0.05)
    await asyncio.to_thread(state.user_sends_text, LI, "从另一个线程")
    updates = await asyncio.wait_for(poll, timeout=2)
    assert [u.message.text for u in updates if u.message] == ["从另一个线程"]


async def test_long_poll_times_out_empty_without_busy_looping(
    bot: Bot,
    state: BotApiState,
    polling_request: FakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = 0
    has_updates = state.has_updates

    def counting_has_updates(offset: int | None = None) -> bool:
        nonlocal checks
        checks += 1
        return has_updates(offset)

    monkeypatch.setattr(state, "has_updates", counting_has_updates)
    started = time.monotonic()
    updates = await bot.get_updates(offset=2, timeout=dtm.timedelta(milliseconds=300))
    elapsed = time.monotonic() - started
    assert updates == ()
    assert 0.25 <= elapsed < 2
    assert polling_request.request_count == 1
    assert checks <= 3  # one look before sleeping, one at the deadline: no polling loop


async def test_updates_confirmed_by_offset_are_not_fetched_again(
    bot: Bot, state: BotApiState
) -> None:
    state.user_sends_text(LI, "一")
    state.user_sends_text(LI, "二")
    first = await bot.get_updates(offset=2)
    assert [u.update_id for u in first] == [2, 3]
    second = await bot.get_updates(offset=first[-1].update_id + 1)
    assert second == ()
    assert state.pending_updates() == []


# PTB itself warns, while building RetryAfter, that retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_errors_surface_as_ptb_exceptions(bot: Bot, state: BotApiState) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hi")
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(LI, "<p>hi</p>", parse_mode=ParseMode.HTML)
    state.inject_error("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await bot.send_message(LI, "hi")
    state.user_blocks_bot(LI)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(LI, "hi")


async def test_unknown_method_and_wrong_token(bot: Bot, state: BotApiState) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPostcard", api_kwargs={"chat_id": LI})
    stranger = Bot(token="999:XYZ", request=FakeRequest(state))
    with pytest.raises(InvalidToken):
        await stranger.initialize()


async def test_urls_other_than_the_bot_api_raise(state: BotApiState) -> None:
    request = FakeRequest(state)
    with pytest.raises(UnexpectedRequestError):
        await request.do_request("https://example.org/index.html", "GET")
    with pytest.raises(UnexpectedRequestError):
        await request.do_request(f"https://api.telegram.org/bot{TOKEN}/a/b", "POST")
    with pytest.raises(NetworkError, match="UnexpectedRequestError"):
        await request.post("https://example.org/api")
    # A missing file is Telegram's 404, which PTB reports as InvalidToken("Not Found").
    with pytest.raises(InvalidToken, match="Not Found"):
        await request.retrieve(f"https://api.telegram.org/file/bot{TOKEN}/photos/none.jpg")


# -- the intended use: drive a real Application ------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greets and asks whether the person wants to apply."""
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, "<b>欢迎</b>，要申请吗？", parse_mode="HTML", reply_markup=YES_NO
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledges the tap and shows the choice in place."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"你选了：{query.data}")


def build_app(state: BotApiState) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        Application.builder()
        .token(TOKEN)
        .request(FakeRequest(state))
        .get_updates_request(FakeRequest(state))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(answer))
    return app


async def test_application_process_update(state: BotApiState) -> None:
    app = build_app(state)
    async with app:
        await app.process_update(Update.de_json(state.make_update_text(LI, "/start"), app.bot))
        screen = state.last_bot_message(LI)
        assert screen is not None
        assert screen.text == "欢迎，要申请吗？"
        tap = state.make_update_press(LI, LI, "否")
        await app.process_update(Update.de_json(tap, app.bot))
    assert screen.text == "你选了：no"
    assert screen.buttons == []
    assert state.callback_answer(tap["callback_query"]["id"]) is not None


async def test_application_long_polling(state: BotApiState) -> None:
    app = build_app(state)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
        state.user_sends_text(LI, "/start")
        for _ in range(200):
            if state.calls_to("sendMessage"):
                break
            await asyncio.sleep(0.01)
        await app.updater.stop()
        await app.stop()
    screen = state.last_bot_message(LI)
    assert screen is not None
    assert screen.text == "欢迎，要申请吗？"
    assert state.pending_updates() == []  # the updater confirmed what it fetched
