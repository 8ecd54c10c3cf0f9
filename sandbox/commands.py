"""The bot's command lists (setMyCommands, getMyCommands, deleteMyCommands) by scope and
language, checked as Telegram checks them."""

from __future__ import annotations

import json
import re

from sandbox.content import UploadedFiles
from sandbox.params import Params, bad_request

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class CommandLists:
    """One list of commands per (scope, language code), as the Bot API keeps them."""

    def __init__(self) -> None:
        self.lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def _key(self, params: Params) -> tuple[str, str]:
        scope = params.raw("scope")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def set(self, params: Params, files: UploadedFiles) -> object:
        commands = params.raw("commands")
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be of type Array')
        checked: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("BOT_COMMAND_INVALID")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        if len(checked) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        self.lists[self._key(params)] = checked
        return True

    def get(self, params: Params, files: UploadedFiles) -> object:
        return self.lists.get(self._key(params), [])

    def delete(self, params: Params, files: UploadedFiles) -> object:
        self.lists.pop(self._key(params), None)
        return True
