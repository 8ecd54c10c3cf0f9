"""``BotApiState``: the Telegram Bot API for one bot, in memory, synchronous, no I/O.

``call(method, params, files)`` returns exactly the JSON Telegram returns, with Telegram's error
codes and wording; ``World`` (the base class) is the people's side. Both faces use this one
state: ``sandbox.request.FakeRequest`` in-process, and a local HTTP server.

This module is the method table and the methods about messages, updates and webhooks; what a
send carries (text, caption, file) is checked in ``sandbox.content``, the command lists are
``sandbox.commands``, the optional bulk limits ``sandbox.limits``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Unpack
from urllib.parse import urlsplit

from sandbox.commands import CommandLists
from sandbox.content import UploadedFiles, caption_fields, input_file, message_text
from sandbox.files import MAX_DOWNLOAD_BYTES
from sandbox.html_entities import utf16_len
from sandbox.limits import SEND_METHODS, Enforcer, SendLimits
from sandbox.markup import validate_reply_markup
from sandbox.models import CallbackQuery, Chat, InjectedError, RecordedCall, StoredMessage
from sandbox.params import ApiError, Params, bad_request, normalize
from sandbox.world import CALLBACK_QUERY_TTL_SECONDS, World, WorldOptions

logger = logging.getLogger(__name__)

Handler = Callable[[Params, UploadedFiles], object]

MAX_CALLBACK_ANSWER_LENGTH = 200
EDIT_WINDOW_SECONDS = 48 * 3600
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class BotApiState(World):
    """In-memory Telegram for one bot: Bot API methods plus the people's side (``World``)."""

    def __init__(
        self,
        *,
        allow_http_webhooks: bool = False,
        send_limits: SendLimits | None = None,
        **world: Unpack[WorldOptions],
    ) -> None:
        super().__init__(**world)
        self.allow_http_webhooks = allow_http_webhooks
        self.calls: list[RecordedCall] = []
        self.webhook: dict[str, Any] | None = None
        self.commands = CommandLists()
        self.chat_actions: list[tuple[int, str]] = []
        self._injected: list[InjectedError] = []
        # None (the default): no limits, as before; see SendLimits.
        self.enforcer = Enforcer(send_limits) if send_limits is not None else None
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "setMyCommands": self.commands.set,
            "getMyCommands": self.commands.get,
            "deleteMyCommands": self.commands.delete,
            "sendChatAction": self._send_chat_action,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- the Bot API entry point -------------------------------------------------------------

    def call(
        self,
        method: str,
        params: Mapping[str, object],
        files: UploadedFiles | None = None,
        *,
        record: bool = True,
    ) -> dict[str, Any]:
        """Answer one Bot API request as Telegram would: ``{"ok": ..., "result"|"error_code"...}``.

        Method names are case-insensitive; values may be JSON values or form strings.
        ``record=False`` is for the second look of a long poll, which is the same request.
        """
        values = normalize(params)
        entry = self._handlers.get(method.lower())
        uploads = dict(files or {})
        with self._lock:
            recorded = RecordedCall(entry[0] if entry else method, values, uploads)
            if record:
                self.calls.append(recorded)
            try:
                if entry is None:
                    logger.warning("Bot API method %r is not modelled by the sandbox", method)
                    raise ApiError(404, "Not Found")
                self._raise_injected(entry[0])
                if self.enforcer is not None and entry[0].lower() in SEND_METHODS:
                    self.enforcer.check(Params(values).chat_id())
                response: dict[str, Any] = {"ok": True, "result": entry[1](Params(values), uploads)}
            except ApiError as error:
                response = error.to_response()
            # What goes over the wire: JSON values only, never shared with the stored state.
            response = json.loads(json.dumps(response))
            recorded.response = response
        return response

    def inject_error(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*": any method) fail like this."""
        with self._lock:
            self._injected.append(
                InjectedError(method, error_code, description, retry_after, times)
            )

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said for a query, or None while unanswered."""
        query = self.callback_queries.get(query_id)
        return None if query is None else query.answer

    def _raise_injected(self, method: str) -> None:
        for injected in self._injected:
            if injected.method.lower() in (method.lower(), "*"):
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
                raise ApiError(
                    injected.error_code, injected.description, retry_after=injected.retry_after
                )

    # -- shared checks -----------------------------------------------------------------------

    def _target_chat(self, params: Params) -> Chat:
        ref = params.chat_id()
        chat = self.chats.get(ref) if isinstance(ref, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.person is not None and chat.person.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_to(self, params: Params, chat: Chat) -> int | None:
        reply_parameters = params.raw("reply_parameters")
        allow_missing = params.flag("allow_sending_without_reply")
        message_id = params.integer("reply_to_message_id")
        if isinstance(reply_parameters, dict):
            message_id = Params(normalize(reply_parameters)).integer("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        if self.message(chat.chat_id, message_id) is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _own_recent_message(self, params: Params, missing: str, refused: str) -> StoredMessage:
        """The bot's message named by chat_id + message_id, if still within Telegram's 48 h."""
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._target_chat(params)
        message_id = params.required_integer("message_id", "message identifier is not specified")
        message = self.message(chat.chat_id, message_id)
        if message is None:
            raise bad_request(missing)
        if not message.from_bot or self.now() - message.sent_at > EDIT_WINDOW_SECONDS:
            raise bad_request(refused)
        return message

    def _send(self, params: Params, **content: Any) -> dict[str, Any]:
        chat = self._target_chat(params)
        markup = validate_reply_markup(params.raw("reply_markup"))
        reply_to = self._reply_to(params, chat)
        message = self.store_message(
            chat,
            from_bot=True,
            sender_id=self.bot_id,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **content,
        )
        return self.message_dict(message)

    # -- methods -----------------------------------------------------------------------------

    def _get_me(self, params: Params, files: UploadedFiles) -> object:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_allowed_updates(self, params: Params) -> None:
        allowed = params.raw("allowed_updates")
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates: Array expected")
        self.allowed_updates = frozenset(str(kind) for kind in allowed)

    def _get_updates(self, params: Params, files: UploadedFiles) -> object:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._set_allowed_updates(params)
        limit = params.integer("limit")
        limit = 100 if limit is None else min(max(limit, 1), 100)
        self.confirm_updates(params.integer("offset") or 0)
        return self.pending_updates()[:limit]

    def _set_webhook(self, params: Params, files: UploadedFiles) -> object:
        url = (params.text("url") or "").strip()
        if not url:
            self.webhook = None
            return True
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not self.allow_http_webhooks:
            if parts.scheme != "https":
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if port not in WEBHOOK_PORTS:
                raise bad_request(
                    "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
                )
        secret = params.text("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed_updates(params)
        if params.flag("drop_pending_updates"):
            self.drop_pending_updates()
        self.webhook = {"url": url, "max_connections": max_connections, "secret_token": secret}
        return True

    def _delete_webhook(self, params: Params, files: UploadedFiles) -> object:
        if params.flag("drop_pending_updates"):
            self.drop_pending_updates()
        self.webhook = None
        return True

    def _get_webhook_info(self, params: Params, files: UploadedFiles) -> object:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates()),
        }
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            info["max_connections"] = self.webhook["max_connections"]
            if self.allowed_updates:
                info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    def _send_message(self, params: Params, files: UploadedFiles) -> object:
        self._target_chat(params)
        formatted, html = message_text(params)
        return self._send(params, text=formatted.text, html=html, entities=formatted.entities)

    def _edit_message_text(self, params: Params, files: UploadedFiles) -> object:
        message = self._own_recent_message(
            params, "message to edit not found", "message can't be edited"
        )
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        formatted, html = message_text(params)
        # Without reply_markup, Telegram removes the inline keyboard.
        markup = validate_reply_markup(params.raw("reply_markup"))
        unchanged = (message.text, message.entities, message.reply_markup)
        if (formatted.text, formatted.entities, markup) == unchanged:
            raise bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = formatted.text, html, formatted.entities
        message.reply_markup = markup
        message.edit_date = int(self.now())
        return self.message_dict(message)

    def _edit_message_reply_markup(self, params: Params, files: UploadedFiles) -> object:
        message = self._own_recent_message(
            params, "message to edit not found", "message can't be edited"
        )
        markup = validate_reply_markup(params.raw("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        return self.message_dict(message)

    def _answer_callback_query(self, params: Params, files: UploadedFiles) -> object:
        query: CallbackQuery | None = self.callback_queries.get(
            params.text("callback_query_id") or ""
        )
        if (
            query is None
            or query.answered
            or self.now() - query.created_at > CALLBACK_QUERY_TTL_SECONDS
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = params.text("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {"text": text, "show_alert": params.flag("show_alert")}
        if params.text("url") is not None:
            query.answer["url"] = params.text("url")
        return True

    def _delete_message(self, params: Params, files: UploadedFiles) -> object:
        chat = self._target_chat(params)
        message_id = params.required_integer("message_id", "message identifier is not specified")
        message = self.message(chat.chat_id, message_id)
        if message is None:
            raise bad_request("message to delete not found")
        if self.now() - message.sent_at > EDIT_WINDOW_SECONDS:
            raise bad_request("message can't be deleted")
        del self._messages[chat.chat_id][message_id]
        return True

    def _send_photo(self, params: Params, files: UploadedFiles) -> object:
        self._target_chat(params)
        caption = caption_fields(params)
        stored = input_file(params, files, self.files, "photo", "photo")
        return self._send(params, photo=stored.photo_sizes(), **caption)

    def _send_document(self, params: Params, files: UploadedFiles) -> object:
        self._target_chat(params)
        caption = caption_fields(params)
        stored = input_file(params, files, self.files, "document", "document")
        return self._send(params, document=stored.document_dict(), **caption)

    def _get_file(self, params: Params, files: UploadedFiles) -> object:
        stored = self.files.by_id.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.file_dict()

    def _send_chat_action(self, params: Params, files: UploadedFiles) -> object:
        chat = self._target_chat(params)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.chat_id, action))
        return True
