"""BotApiState answers like the Bot API: shapes, Telegram's validation and wording, the queue."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from sandbox.botapi import NOT_MODIFIED, QUERY_TOO_OLD, BotApiState
from sandbox.files import TINY_PNG

LI = 42  # a resident who has written to the bot
WANG = 43  # a second resident
GROUP = -1001234567890
HOUR = 3600.0


class Clock:
    """An injectable clock the test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> BotApiState:
    state = BotApiState(now=clock)
    state.add_user(LI, "Li", username="li")
    state.add_user(WANG, "Wang")
    state.user_sends_text(LI, "/start")
    state.user_sends_text(WANG, "你好")
    return state


def error(description: str, code: int = 400) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def keyboard(*data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d.upper(), "callback_data": d} for d in data]]}


def send(state: BotApiState, text: str, chat_id: int = LI, **params: Any) -> dict[str, Any]:
    return state.call("sendMessage", {"chat_id": chat_id, "text": text, **params})


def sent_id(response: dict[str, Any]) -> int:
    assert response["ok"], response
    return int(response["result"]["message_id"])


# -- shapes and method names -------------------------------------------------------------------


def test_get_me_is_the_bot_user(state: BotApiState) -> None:
    me = state.call("getMe", {})
    assert me["ok"] is True
    assert me["result"]["id"] == 123
    assert me["result"]["is_bot"] is True
    assert me["result"]["username"] == "yimen_test_bot"


def test_method_names_are_case_insensitive(state: BotApiState) -> None:
    assert state.call("SENDMESSAGE", {"chat_id": LI, "text": "hi"})["ok"]
    assert state.calls[-1].method == "sendMessage"


def test_unknown_method_is_404_and_logged(
    state: BotApiState, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sandbox.botapi"):
        response = state.call("sendDice", {"chat_id": LI})
    assert response == error("Not Found", 404)
    assert "sendDice" in caplog.text
    assert state.calls[-1].method == "sendDice"


def test_form_strings_and_json_values_are_equivalent(state: BotApiState) -> None:
    markup = keyboard("yes")
    as_json = send(state, "Q", reply_markup=markup)
    as_form = state.call(
        "sendMessage", {"chat_id": str(LI), "text": "Q", "reply_markup": json.dumps(markup)}
    )
    assert as_json["result"]["reply_markup"] == as_form["result"]["reply_markup"] == markup
    assert state.calls[-1].params["chat_id"] == LI


def test_send_message_returns_telegram_message(state: BotApiState, clock: Clock) -> None:
    result = send(state, "<b>申请</b> &lt;已收到&gt;", parse_mode="HTML")["result"]
    assert result["from"]["is_bot"] is True
    assert result["chat"] == {"id": LI, "type": "private", "first_name": "Li", "username": "li"}
    assert result["date"] == int(clock.t)
    assert result["text"] == "申请 <已收到>"
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    stored = state.last_bot_message(LI)
    assert stored is not None
    assert stored.text == "申请 <已收到>"
    assert stored.html == "<b>申请</b> &lt;已收到&gt;"


# -- chats -------------------------------------------------------------------------------------


def test_unknown_chat_is_not_found(state: BotApiState) -> None:
    assert send(state, "hi", chat_id=999) == error("Bad Request: chat not found")


def test_private_chat_exists_only_once_the_person_wrote(state: BotApiState) -> None:
    state.add_user(7, "Zhao")
    assert send(state, "hi", chat_id=7) == error("Bad Request: chat not found")
    state.user_sends_text(7, "hello")
    assert send(state, "hi", chat_id=7)["ok"]


def test_blocked_bot_is_forbidden(state: BotApiState) -> None:
    update = state.user_blocks_bot(LI)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert send(state, "hi") == error("Forbidden: bot was blocked by the user", 403)
    with pytest.raises(RuntimeError, match="blocked"):
        state.user_sends_text(LI, "hi")
    state.user_unblocks_bot(LI)
    assert send(state, "hi")["ok"]


def test_groups_are_created_by_the_owner(state: BotApiState) -> None:
    assert send(state, "hi", chat_id=GROUP) == error("Bad Request: chat not found")
    chat = state.add_group(GROUP, "街道工作群")
    assert chat == {"id": GROUP, "type": "supergroup", "title": "街道工作群"}
    update = state.user_sends_text(LI, "/status@yimen_test_bot 12", chat_id=GROUP)
    assert update["message"]["chat"]["id"] == GROUP
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert send(state, "ok", chat_id=GROUP)["result"]["message_id"] == 2


def test_message_ids_are_per_chat(state: BotApiState) -> None:
    # Each fixture chat already holds the person's first message (id 1).
    assert [sent_id(send(state, t, chat_id=LI)) for t in "ab"] == [2, 3]
    assert sent_id(send(state, "x", chat_id=WANG)) == 2
    assert state.user_sends_text(LI, "c")["message"]["message_id"] == 4
    assert [m.message_id for m in state.chat_messages(LI)] == [1, 2, 3, 4]
    assert [m.from_bot for m in state.chat_messages(LI)] == [False, True, True, False]


def test_reply_to_missing_message(state: BotApiState) -> None:
    assert send(state, "x", reply_to_message_id=99) == error(
        "Bad Request: message to be replied not found"
    )
    result = send(state, "x", reply_parameters={"message_id": 1})["result"]
    assert result["reply_to_message"]["text"] == "/start"


# -- text validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("你好<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href>l</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ('<tg-emoji emoji-id="x">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("&#xD83D;", "Text contains invalid Unicode characters after decoding HTML entities"),
    ],
)
def test_html_parse_errors(state: BotApiState, html: str, detail: str) -> None:
    response = send(state, html, parse_mode="HTML")
    assert response["error_code"] == 400
    assert response["description"].startswith(f"Bad Request: can't parse entities: {detail}")


def test_html_renders_text_and_entities(state: BotApiState) -> None:
    html = (
        "<b>粗</b><strong>s</strong> <i>i</i><em>e</em> <u>u</u><ins>n</ins> "
        "<s>s</s><strike>t</strike>"
        '<del>d</del> <a href="https://example.org/?a=1&amp;b=2">链接</a> <code>c</code> '
        '<pre><code class="language-python">p</code></pre> <tg-spoiler>x</tg-spoiler>'
        '<span class="tg-spoiler">y</span> <blockquote expandable>q</blockquote> '
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &quot;&#20013;&#x6587;&quot; &foo;'
    )
    result = send(state, html, parse_mode="HTML")["result"]
    assert result["text"] == '粗s ie un std 链接 c p xy q 👍 "中文" &foo;'
    types = [(e["type"], e["offset"], e["length"]) for e in result["entities"]]
    assert types == [
        ("bold", 0, 1),
        ("bold", 1, 1),
        ("italic", 3, 1),
        ("italic", 4, 1),
        ("underline", 6, 1),
        ("underline", 7, 1),
        ("strikethrough", 9, 1),
        ("strikethrough", 10, 1),
        ("strikethrough", 11, 1),
        ("text_link", 13, 2),
        ("code", 16, 1),
        ("pre", 18, 1),
        ("spoiler", 20, 1),
        ("spoiler", 21, 1),
        ("expandable_blockquote", 23, 1),
        ("custom_emoji", 25, 2),  # UTF-16: the emoji is a surrogate pair
    ]
    assert result["entities"][9]["url"] == "https://example.org/?a=1&b=2"
    assert result["entities"][11]["language"] == "python"


def test_text_is_trimmed_and_entities_follow(state: BotApiState) -> None:
    result = send(state, "  \n<b>x</b> ", parse_mode="HTML")["result"]
    assert result["text"] == "x"
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 1}]


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>", "<b> </b>"])
def test_empty_text(state: BotApiState, text: str) -> None:
    assert send(state, text, parse_mode="HTML") == error("Bad Request: message text is empty")


def test_missing_text_is_empty(state: BotApiState) -> None:
    response = state.call("sendMessage", {"chat_id": LI})
    assert response == error("Bad Request: message text is empty")


def test_length_counts_after_entity_parsing(state: BotApiState) -> None:
    assert send(state, "a" * 4096)["ok"]
    assert send(state, "a" * 4097) == error("Bad Request: message is too long")
    # 4096 characters once parsed, although the source is four times longer.
    assert send(state, "&lt;" * 4096, parse_mode="HTML")["ok"]
    assert send(state, "<b>" + "中" * 4096 + "</b>", parse_mode="HTML")["ok"]
    assert send(state, "&lt;" * 4097, parse_mode="HTML") == error(
        "Bad Request: message is too long"
    )


def test_caption_limit(state: BotApiState) -> None:
    params = {"chat_id": LI, "photo": "x"}
    upload = {"photo": ("p.png", TINY_PNG, "image/png")}
    ok = state.call("sendPhoto", {**params, "caption": "c" * 1024}, upload)
    assert ok["ok"]
    too_long = state.call("sendPhoto", {**params, "caption": "c" * 1025}, upload)
    assert too_long == error("Bad Request: message caption is too long")


# -- keyboards ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["x" * 65, "", "申请" * 11])  # 66 bytes in UTF-8
def test_callback_data_must_be_1_to_64_bytes(state: BotApiState, data: str) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": data}]]}
    assert send(state, "Q", reply_markup=markup) == error("Bad Request: BUTTON_DATA_INVALID")


def test_callback_data_of_64_bytes_is_fine(state: BotApiState) -> None:
    assert send(state, "Q", reply_markup=keyboard("x" * 64))["ok"]


def test_bad_reply_markup(state: BotApiState) -> None:
    assert send(state, "Q", reply_markup="{not json") == error(
        "Bad Request: can't parse reply keyboard markup JSON object"
    )
    plain = {"inline_keyboard": [[{"text": "no action"}]]}
    assert send(state, "Q", reply_markup=plain) == error(
        "Bad Request: text buttons are unallowed in the inline keyboard"
    )


# -- edits and deletes -------------------------------------------------------------------------


def edit(state: BotApiState, message_id: int, text: str, **params: Any) -> dict[str, Any]:
    return state.call(
        "editMessageText", {"chat_id": LI, "message_id": message_id, "text": text, **params}
    )


def test_edit_message_text(state: BotApiState, clock: Clock) -> None:
    message_id = sent_id(send(state, "v1", reply_markup=keyboard("a")))
    clock.advance(60)
    result = edit(state, message_id, "<i>v2</i>", parse_mode="HTML", reply_markup=keyboard("b"))
    assert result["result"]["text"] == "v2"
    assert result["result"]["edit_date"] == int(clock.t)
    stored = state.message(LI, message_id)
    assert stored is not None
    assert stored.html == "<i>v2</i>"
    assert stored.button_texts == ["B"]


def test_edit_without_markup_removes_the_keyboard(state: BotApiState) -> None:
    message_id = sent_id(send(state, "v1", reply_markup=keyboard("a")))
    assert "reply_markup" not in edit(state, message_id, "v1")["result"]


def test_not_modified(state: BotApiState) -> None:
    message_id = sent_id(send(state, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard("a")))
    same = edit(
        state, message_id, "<strong>v1</strong>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    assert same == error(f"Bad Request: {NOT_MODIFIED}")
    markup_only = state.call(
        "editMessageReplyMarkup",
        {"chat_id": LI, "message_id": message_id, "reply_markup": keyboard("a")},
    )
    assert markup_only == error(f"Bad Request: {NOT_MODIFIED}")
    assert state.call(
        "editMessageReplyMarkup",
        {"chat_id": LI, "message_id": message_id, "reply_markup": keyboard("b")},
    )["ok"]


def test_edit_errors(state: BotApiState) -> None:
    assert edit(state, 99, "x") == error("Bad Request: message to edit not found")
    # Message 1 is Li's own "/start": the bot cannot edit it.
    assert edit(state, 1, "x") == error("Bad Request: message can't be edited")
    photo = state.call("sendPhoto", {"chat_id": LI}, {"photo": ("p.png", TINY_PNG, "image/png")})
    assert edit(state, sent_id(photo), "x") == error(
        "Bad Request: there is no text in the message to edit"
    )


def test_messages_older_than_48_hours_cannot_be_edited(state: BotApiState, clock: Clock) -> None:
    message_id = sent_id(send(state, "v1"))
    clock.advance(47 * HOUR)
    assert edit(state, message_id, "v2")["ok"]
    clock.advance(2 * HOUR)
    assert edit(state, message_id, "v3") == error("Bad Request: message can't be edited")
    assert state.call("editMessageReplyMarkup", {"chat_id": LI, "message_id": message_id}) == error(
        "Bad Request: message can't be edited"
    )


def test_delete_message(state: BotApiState, clock: Clock) -> None:
    first, second = sent_id(send(state, "a")), sent_id(send(state, "b"))
    assert state.call("deleteMessage", {"chat_id": LI, "message_id": first}) == {
        "ok": True,
        "result": True,
    }
    assert state.message(LI, first) is None
    assert state.call("deleteMessage", {"chat_id": LI, "message_id": first}) == error(
        "Bad Request: message to delete not found"
    )
    clock.advance(49 * HOUR)
    assert state.call("deleteMessage", {"chat_id": LI, "message_id": second}) == error(
        "Bad Request: message can't be deleted"
    )


# -- callback queries --------------------------------------------------------------------------


def test_tap_creates_callback_query(state: BotApiState) -> None:
    message_id = sent_id(send(state, "同意吗？", reply_markup=keyboard("yes", "no")))
    update = state.user_taps(LI, LI, message_id, "no")
    query = update["callback_query"]
    assert query["data"] == "no"
    assert query["from"]["id"] == LI
    assert query["message"]["message_id"] == message_id
    assert state.pending_updates()[-1] == update
    answer = state.call("answerCallbackQuery", {"callback_query_id": query["id"], "text": "好"})
    assert answer == {"ok": True, "result": True}
    assert state.callback_answer(query["id"]) == {"text": "好", "show_alert": False}


def test_press_finds_the_button_by_its_label(state: BotApiState) -> None:
    send(state, "old", reply_markup=keyboard("yes"))
    newest = sent_id(send(state, "new", reply_markup=keyboard("yes")))
    query = state.user_presses(LI, LI, "YES")["callback_query"]
    assert query["message"]["message_id"] == newest
    with pytest.raises(LookupError, match="MAYBE"):
        state.user_presses(LI, LI, "MAYBE")


def test_tapping_a_missing_button_raises(state: BotApiState) -> None:
    message_id = sent_id(send(state, "Q", reply_markup=keyboard("yes")))
    with pytest.raises(LookupError, match="no button with callback_data 'nope'"):
        state.user_taps(LI, LI, message_id, "nope")
    with pytest.raises(LookupError):
        state.user_taps(LI, LI, 99, "yes")


def test_answer_unknown_answered_or_expired_query(state: BotApiState, clock: Clock) -> None:
    too_old = error(f"Bad Request: {QUERY_TOO_OLD}")
    assert state.call("answerCallbackQuery", {"callback_query_id": "nope"}) == too_old
    message_id = sent_id(send(state, "Q", reply_markup=keyboard("yes")))
    answered = state.user_taps(LI, LI, message_id, "yes")["callback_query"]["id"]
    assert state.call("answerCallbackQuery", {"callback_query_id": answered})["ok"]
    assert state.call("answerCallbackQuery", {"callback_query_id": answered}) == too_old
    late = state.user_taps(LI, LI, message_id, "yes")["callback_query"]["id"]
    clock.advance(HOUR)
    assert state.call("answerCallbackQuery", {"callback_query_id": late}) == too_old


# -- updates -----------------------------------------------------------------------------------


def update_ids(response: dict[str, Any]) -> list[int]:
    assert response["ok"], response
    return [int(update["update_id"]) for update in response["result"]]


def test_updates_get_increasing_ids_and_offset_confirms(state: BotApiState) -> None:
    state.user_sends_text(LI, "third")
    assert update_ids(state.call("getUpdates", {})) == [1, 2, 3]
    assert update_ids(state.call("getUpdates", {"offset": 2})) == [2, 3]
    # Update 1 is gone for good once confirmed.
    assert update_ids(state.call("getUpdates", {})) == [2, 3]
    assert update_ids(state.call("getUpdates", {"offset": "4"})) == []
    assert update_ids(state.call("getUpdates", {})) == []
    assert state.user_sends_text(LI, "later")["update_id"] == 4


def test_limit_and_negative_offset(state: BotApiState) -> None:
    for text in "abc":
        state.user_sends_text(LI, text)
    assert update_ids(state.call("getUpdates", {"limit": 2})) == [1, 2]
    # Out-of-range limits are clamped to 1..100, as telegram-bot-api does.
    assert update_ids(state.call("getUpdates", {"limit": 0})) == [1]
    assert update_ids(state.call("getUpdates", {"limit": 500})) == [1, 2, 3, 4, 5]
    assert update_ids(state.call("getUpdates", {"offset": -2})) == [4, 5]
    assert update_ids(state.call("getUpdates", {})) == [4, 5]


def test_at_most_100_updates_per_call(state: BotApiState) -> None:
    for number in range(120):
        state.user_sends_text(WANG, str(number))
    assert len(state.call("getUpdates", {})["result"]) == 100


def test_allowed_updates_filter_new_updates(state: BotApiState) -> None:
    message_id = sent_id(send(state, "Q", reply_markup=keyboard("yes")))
    state.call("getUpdates", {"offset": 3, "allowed_updates": '["callback_query"]'})
    state.user_sends_text(LI, "ignored")
    tap = state.user_taps(LI, LI, message_id, "yes")
    response = state.call("getUpdates", {})
    assert response["result"] == [tap]


def test_make_update_stores_without_enqueueing(state: BotApiState) -> None:
    state.call("getUpdates", {"offset": 3})
    update = state.make_update_text(LI, "/apply")
    assert update["message"]["entities"][0]["type"] == "bot_command"
    assert state.pending_updates() == []
    assert state.chat_messages(LI)[-1].text == "/apply"
    assert state.make_update_text(LI, "x")["update_id"] == update["update_id"] + 1


def test_user_messages_of_every_kind(state: BotApiState) -> None:
    photo = state.user_sends_photo(LI, caption="身份证")["message"]
    assert photo["caption"] == "身份证"
    assert photo["photo"][0]["width"] == 1
    document = state.user_sends_document(LI, b"%PDF-1.4", "证明.pdf")["message"]["document"]
    assert document["file_name"] == "证明.pdf"
    assert document["mime_type"] == "application/pdf"
    sticker = state.user_sends_sticker(LI, "🙏")["message"]["sticker"]
    assert sticker["emoji"] == "🙏"
    reply = state.user_sends_text(LI, "this one", reply_to_message_id=1)["message"]
    assert reply["reply_to_message"]["text"] == "/start"
    got = state.call("getFile", {"file_id": document["file_id"]})["result"]
    assert state.file_bytes(got["file_path"]) == b"%PDF-1.4"


def test_webhook_excludes_get_updates(state: BotApiState) -> None:
    assert state.call("setWebhook", {"url": "http://example.org/hook"}) == error(
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    assert state.call("setWebhook", {"url": "https://example.org:8080/hook"}) == error(
        "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
    )
    assert state.call("setWebhook", {"url": "https://example.org/hook"})["ok"]
    info = state.call("getWebhookInfo", {})["result"]
    assert info["url"] == "https://example.org/hook"
    assert info["pending_update_count"] == 2
    conflict = state.call("getUpdates", {})
    assert conflict["error_code"] == 409
    assert conflict["description"].startswith("Conflict: can't use getUpdates method")
    assert state.call("deleteWebhook", {"drop_pending_updates": "true"})["ok"]
    assert state.call("getUpdates", {})["result"] == []
    assert state.call("getWebhookInfo", {})["result"]["url"] == ""


# -- files, commands, actions, injected failures -----------------------------------------------


def test_send_photo_and_document_then_get_file(state: BotApiState) -> None:
    upload = {"photo": ("p.png", TINY_PNG, "image/png")}
    photo = state.call(
        "sendPhoto", {"chat_id": LI, "caption": "<b>图</b>", "parse_mode": "HTML"}, upload
    )
    sizes = photo["result"]["photo"]
    assert photo["result"]["caption"] == "图"
    stored = state.last_bot_message(LI)
    assert stored is not None
    assert stored.caption_html == "<b>图</b>"
    file = state.call("getFile", {"file_id": sizes[-1]["file_id"]})["result"]
    assert file["file_size"] == len(TINY_PNG)
    assert state.file_bytes(file["file_path"]) == TINY_PNG
    # Resending by file_id reuses the file.
    again = state.call("sendPhoto", {"chat_id": LI, "photo": sizes[-1]["file_id"]})
    assert again["result"]["photo"][-1]["file_id"] == sizes[-1]["file_id"]
    doc = state.call(
        "sendDocument",
        {"chat_id": LI, "document": "attach://letter"},
        {"letter": ("通知.txt", "通知".encode(), "text/plain")},
    )
    assert doc["result"]["document"]["file_name"] == "通知.txt"


def test_file_errors(state: BotApiState) -> None:
    assert state.call("sendPhoto", {"chat_id": LI, "photo": "nope"}) == error(
        "Bad Request: wrong file identifier/HTTP URL specified"
    )
    assert state.call("sendPhoto", {"chat_id": LI}) == error(
        "Bad Request: there is no photo in the request"
    )
    assert state.call(
        "sendDocument", {"chat_id": LI}, {"document": ("e.txt", b"", "text/plain")}
    ) == error("Bad Request: file must be non-empty")
    assert state.call("getFile", {"file_id": "nope"}) == error(
        "Bad Request: wrong file_id or the file is temporarily unavailable"
    )
    assert state.file_bytes("photos/none.jpg") is None


def test_commands_per_scope_and_language(state: BotApiState) -> None:
    commands = [{"command": "start", "description": "开始"}]
    assert state.call("setMyCommands", {"commands": json.dumps(commands)})["ok"]
    english = [{"command": "start", "description": "Start"}]
    assert state.call("setMyCommands", {"commands": english, "language_code": "en"})["ok"]
    assert state.call("getMyCommands", {})["result"] == commands
    assert state.call("getMyCommands", {"language_code": "en"})["result"] == english
    scope = {"type": "chat", "chat_id": LI}
    assert state.call("getMyCommands", {"scope": scope})["result"] == []
    bad = [{"command": "Start!", "description": "x"}]
    assert state.call("setMyCommands", {"commands": bad}) == error(
        "Bad Request: BOT_COMMAND_INVALID"
    )


def test_chat_action(state: BotApiState) -> None:
    assert state.call("sendChatAction", {"chat_id": LI, "action": "typing"})["ok"]
    assert state.chat_actions == [(LI, "typing")]
    assert state.call("sendChatAction", {"chat_id": LI, "action": "dancing"}) == error(
        "Bad Request: wrong parameter action in request"
    )


def test_injected_errors(state: BotApiState) -> None:
    state.inject_error("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    assert send(state, "x") == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert send(state, "x")["ok"]
    state.inject_error("*", 502, "Bad Gateway", times=2)
    assert state.call("getMe", {})["error_code"] == 502
    assert send(state, "x")["error_code"] == 502
    assert send(state, "x")["ok"]


def test_calls_are_recorded_with_answers(state: BotApiState) -> None:
    send(state, "a")
    send(state, "b", chat_id=999)
    calls = state.calls_to("sendmessage")
    assert [call.params["text"] for call in calls] == ["a", "b"]
    assert [call.ok for call in calls] == [True, False]
