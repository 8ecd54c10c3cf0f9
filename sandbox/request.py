"""``FakeRequest``: python-telegram-bot's network layer answered in-process by a ``BotApiState``.

Pass it as ``request=`` and ``get_updates_request=`` to ``telegram.Bot`` (or the Application
builder). Any URL that is not a Bot API method or file download raises, so a test can never
reach the real Telegram.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

from sandbox.botapi import BotApiState
from sandbox.waiting import wait_for_updates

_METHOD_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z_]+)/?$")
_FILE_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<path>.+)$")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class UnexpectedRequestError(RuntimeError):
    """A request to something other than the Bot API (PTB reports it as a NetworkError)."""


def _json(response: dict[str, Any]) -> tuple[int, bytes]:
    status = 200 if response.get("ok") else int(response.get("error_code", 400))
    return status, json.dumps(response, ensure_ascii=False).encode()


def _read(content: object) -> bytes:
    if isinstance(content, bytes):
        return content
    read = getattr(content, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, bytes):
            return data
    raise UnexpectedRequestError(f"cannot read upload content of type {type(content).__name__}")


def decode_request_data(
    request_data: RequestData | None,
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """Parameters as the wire carries them (form strings) and multipart uploads as bytes."""
    if request_data is None:
        return {}, {}
    files = {
        name: (file_name, _read(content), mime_type)
        for name, (file_name, content, mime_type) in request_data.multipart_data.items()
    }
    return request_data.json_parameters, files


class FakeRequest(BaseRequest):
    """A ``BaseRequest`` whose server is a ``BotApiState`` in the same process."""

    def __init__(self, state: BotApiState, *, read_timeout: float | None = 5.0) -> None:
        self.state = state
        self.request_count = 0
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to close: there is no connection."""

    async def wait_for_updates(self, timeout: float, offset: int | None = None) -> bool:  # noqa: ASYNC109
        """Wait (without polling) until getUpdates(offset) has updates or the timeout passes."""
        return await wait_for_updates(self.state, timeout, offset)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        self.request_count += 1
        path = urlsplit(url).path
        if method == "GET":
            match = _FILE_PATH.search(path)
            if match is None:
                raise UnexpectedRequestError(f"not a Telegram file URL: {url}")
            if unquote(match["token"]) != self.state.token:
                return _json(_UNAUTHORIZED)
            data = self.state.file_bytes(unquote(match["path"]))
            return (200, data) if data is not None else _json(_NOT_FOUND)
        match = _METHOD_PATH.search(path)
        if method != "POST" or match is None:
            raise UnexpectedRequestError(f"not a Bot API request: {method} {url}")
        if unquote(match["token"]) != self.state.token:
            return _json(_UNAUTHORIZED)
        params, files = decode_request_data(request_data)
        return _json(await self._answer(match["method"], params, files))

    async def _answer(
        self, method: str, params: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> dict[str, Any]:
        response = self.state.call(method, params, files)
        if method.lower() != "getupdates" or not response.get("ok") or response["result"]:
            return response
        timeout = float(params.get("timeout") or 0)
        offset = int(params.get("offset") or 0)
        if timeout <= 0 or not await self.wait_for_updates(timeout, offset):
            return response
        # The same request, looked at again once updates arrived: not a second call.
        return self.state.call(method, params, files, record=False)
