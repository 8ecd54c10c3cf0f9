"""Telegram's HTML parse mode, text trimming and automatic bot-command entities.

``parse_html`` ports tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp), which the Bot API
server runs: the same tag set, the same leniency (an unknown ``&name;`` stays literal text), and
the same error wording with byte offsets into the UTF-8 source. Entity offsets and lengths are in
UTF-16 code units, as the Bot API reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# tdlib's sort order for entities starting at the same place with the same length.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bot_command": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_LT, _GT, _AMP, _SLASH, _EQ = (ord(c) for c in "<>&/=")
_QUOTES = frozenset(b"\"'")
_SPACES = frozenset(b" \t\r\n\v\0")  # tdlib's is_space counts the terminating NUL
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_INT64_MAX = 2**63 - 1


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(error)`` is Telegram's wording."""


@dataclass
class FormattedText:
    """Plain text plus Bot API ``MessageEntity`` dicts, as Telegram stores a message."""

    text: str
    entities: list[Entity] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_pos: int
    expandable: bool


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _at(data: bytes, pos: int) -> int:
    """The byte at ``pos``, or 0 past the end (tdlib reads a NUL-terminated string)."""
    return data[pos] if pos < len(data) else 0


def _is_alpha(byte: int) -> bool:
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _is_digit(byte: int) -> bool:
    return 0x30 <= byte <= 0x39


def _is_hex(byte: int) -> bool:
    return _is_digit(byte) or 0x41 <= byte <= 0x46 or 0x61 <= byte <= 0x66


def _decode_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode the character reference starting at ``data[pos] == '&'``.

    Returns (code point, position after it), or None when tdlib keeps the '&' literally.
    """
    end = pos + 1
    code = 0
    if _at(data, end) == ord("#"):
        end += 1
        if _at(data, end) == ord("x"):
            end += 1
            while _is_hex(_at(data, end)):
                code = code * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while _is_digit(_at(data, end)):
                code = code * 10 + data[end] - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while _is_alpha(_at(data, end)):
            end += 1
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}.get(data[pos + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if _at(data, end) == ord(";"):
        end += 1
    return code, end


def _encode(code: int) -> bytes:
    return chr(code).encode("utf-8", "surrogatepass")


def _checked_url(url: str) -> str | None:
    """A rough stand-in for tdlib's link check: empty links vanish, bare hosts get http://."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    return url


def _custom_emoji_id(argument: str) -> str:
    if re.fullmatch(r"-?[0-9]{1,19}", argument) and 0 < abs(int(argument)) <= _INT64_MAX:
        return str(int(argument))
    raise EntityParseError("Invalid custom emoji identifier specified")


class _HtmlParser:
    """One pass over the UTF-8 bytes, as tdlib does it."""

    def __init__(self, source: str) -> None:
        self.data = source.encode("utf-8", "surrogatepass")
        self.pos = 0
        self.out = bytearray()
        self.utf16_offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def at(self, offset: int = 0) -> int:
        return _at(self.data, self.pos + offset)

    def tag_text(self, begin: int, end: int) -> str:
        return self.data[begin:end].lower().decode("utf-8", "replace")

    def skip_spaces(self) -> None:
        while self.at() != 0 and self.at() in _SPACES:
            self.pos += 1

    def run(self) -> FormattedText:
        need_utf16_check = False
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte == _AMP:
                decoded = _decode_entity(self.data, self.pos)
                if decoded is not None:
                    code, self.pos = decoded
                    self.utf16_offset += 2 if code > 0xFFFF else 1
                    need_utf16_check |= 0xD800 <= code <= 0xDFFF
                    self.out += _encode(code)
                    continue
            if byte != _LT:
                if byte & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                    self.utf16_offset += 2 if byte >= 0xF0 else 1
                self.out.append(byte)
                self.pos += 1
                continue
            begin = self.pos
            self.pos += 1
            if self.at() != _SLASH:
                self.start_tag(begin)
            else:
                self.end_tag(begin)
            self.pos += 1  # the '>'
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
        text = self.out.decode("utf-8", "surrogatepass")
        if need_utf16_check:
            try:
                text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError:
                raise EntityParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                ) from None
        return FormattedText(text, self.entities)

    def start_tag(self, begin: int) -> None:
        while self.at() not in _SPACES and self.at() != _GT:
            self.pos += 1
        if self.at() == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        name = self.tag_text(begin + 1, self.pos)
        if name not in _ALLOWED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = ""
        expandable = False
        while self.at() != _GT:
            self.skip_spaces()
            if self.at() == _GT:
                break
            attribute_begin = self.pos
            while self.at() not in _SPACES and self.at() not in (_EQ, _GT):
                self.pos += 1
            attribute = self.data[attribute_begin : self.pos].decode("utf-8", "replace")
            if not attribute:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin}'
                )
            self.skip_spaces()
            if self.at() != _EQ:
                if name == "blockquote" and attribute == "expandable":
                    expandable = True
                    if self.at() == 0:
                        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {begin}'
                )
            self.pos += 1
            self.skip_spaces()
            if self.at() == 0:
                raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
            value = self.attribute_value()
            if self.at() == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            if name == "a" and attribute == "href":
                argument = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif name == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif name == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append(_OpenTag(name, argument, self.utf16_offset, len(self.out), expandable))

    def attribute_value(self) -> str:
        if self.at() not in _QUOTES:
            token_begin = self.pos
            while _is_alpha(self.at()) or _is_digit(self.at()) or self.at() in (ord("."), ord("-")):
                self.pos += 1
            if self.at() not in _SPACES and self.at() != _GT:
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.tag_text(token_begin, self.pos)
        quote = self.at()
        self.pos += 1
        value = bytearray()
        while self.at() not in (quote, 0):
            if self.at() == _AMP:
                decoded = _decode_entity(self.data, self.pos)
                if decoded is not None:
                    code, self.pos = decoded
                    value += _encode(code)
                    continue
            value.append(self.at())
            self.pos += 1
        if self.at() == quote:
            self.pos += 1
        return value.decode("utf-8", "replace")

    def end_tag(self, begin: int) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while self.at() not in _SPACES and self.at() != _GT:
            self.pos += 1
        end_name = self.tag_text(begin + 2, self.pos)
        self.skip_spaces()
        if self.at() != _GT:
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        if self.utf16_offset > opened.utf16_offset:
            self.close_entity(opened, self.utf16_offset - opened.utf16_offset)

    def close_entity(self, opened: _OpenTag, length: int) -> None:
        last = self.entities[-1] if self.entities else None
        if last is not None and (last["offset"], last["length"]) != (opened.utf16_offset, length):
            last = None  # only an entity spanning exactly the same text can merge
        extra: Entity = {}
        if opened.name in _SIMPLE_TYPES:
            kind = _SIMPLE_TYPES[opened.name]
        elif opened.name == "tg-emoji":
            kind, extra["custom_emoji_id"] = "custom_emoji", _custom_emoji_id(opened.argument)
        elif opened.name == "a":
            inner = self.out[opened.out_pos :].decode("utf-8", "surrogatepass")
            url = _checked_url(opened.argument or inner)
            if url is None:
                return
            kind, extra["url"] = "text_link", url
        elif opened.name == "blockquote":
            kind = "expandable_blockquote" if opened.expandable else "blockquote"
        elif opened.name == "pre":
            if last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"  # <pre><code class="language-x"> is one pre entity
                return
            kind = "pre"
        else:  # code
            if last is not None and last["type"] == "pre" and opened.argument:
                last["language"] = opened.argument
                return
            kind = "code"
            if opened.argument:
                extra["language"] = opened.argument
        self.entities.append(
            {"type": kind, "offset": opened.utf16_offset, "length": length, **extra}
        )


def parse_html(source: str) -> FormattedText:
    """Parse Bot API HTML into plain text and entities, or raise ``EntityParseError``."""
    return _HtmlParser(source).run()


def strip_text(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace as Telegram does, moving and clipping entities to match."""
    left_stripped = formatted.text.lstrip()
    shift = utf16_len(formatted.text) - utf16_len(left_stripped)
    text = left_stripped.rstrip()
    total = utf16_len(text)
    entities: list[Entity] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(text, entities)


def bot_command_entities(text: str) -> list[Entity]:
    """The ``bot_command`` entities Telegram detects in a text a person typed."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _BOT_COMMAND.finditer(text)
    ]
