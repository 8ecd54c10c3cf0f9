"""Reading what people type: numbers as they write them, yes and no, an option by name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import cn2an

# Words around a number that carry no value: currency, units, "about", "per month".
_NOISE = re.compile(
    r"(人民币|rmb|cny|yuan|元钱|元|块钱|块|¥|￥|大约|大概|约|差不多|左右|上下|多|"
    r"周岁|岁|口人|个人|人|口|years old|years|yrs|people|persons|"
    r"about|around|approximately|approx\.?|roughly|~|每月|一个月|月|per month|a month|/month)",
    re.IGNORECASE,
)
_SCALE = {"万": 10_000, "千": 1_000, "k": 1_000, "w": 10_000}
_PLAIN = re.compile(r"^(\d+(?:\.\d+)?)\s*(万|千|k|w)?$", re.IGNORECASE)
_CHINESE_NUMERAL = re.compile(
    r"^[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点\d.]+$"
)

_YES = {
    "是",
    "是的",
    "对",
    "对的",
    "有",
    "有的",
    "好",
    "好的",
    "嗯",
    "要",
    "需要",
    "yes",
    "y",
    "yeah",
    "yep",
    "ok",
    "okay",
    "sure",
    "true",
    "1",
    "👍",
    "✅",
}
_NO = {
    "否",
    "不",
    "不是",
    "没有",
    "没",
    "无",
    "不要",
    "不需要",
    "no",
    "n",
    "nope",
    "none",
    "false",
    "0",
    "👎",
    "❌",
}


def strip_invisible(text: str) -> str:
    """``text`` without invisible and direction-changing characters (Unicode Cf and Cc: zero
    width spaces, the byte order mark, right-to-left overrides and isolates, control codes);
    newlines stay, tabs become spaces. A name with a hidden override reads differently to staff
    than it was typed, and an invisible character makes two equal names differ."""
    if text.isprintable():
        return text  # the usual case: nothing to remove
    return "".join(
        " " if ch == "\t" else ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cf", "Cc")
    )


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, trimmed; '，' becomes ','."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def parse_number(text: str) -> Decimal | None:
    """1500, "1,500元", "about 2000", "一千五", "1.5万", "两千左右" → a number; else None."""
    cleaned = _NOISE.sub("", normalise(text)).replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    plain = _PLAIN.match(cleaned)
    if plain:
        value = Decimal(plain.group(1))
        unit = plain.group(2)
        return value * _SCALE[unit.lower()] if unit else value
    if _CHINESE_NUMERAL.match(cleaned):
        try:
            converted = cn2an.cn2an(cleaned, "smart")
        except (ValueError, KeyError, IndexError):
            return None
        try:
            return Decimal(str(converted))
        except InvalidOperation:
            return None
    return None


def parse_yes_no(text: str) -> bool | None:
    """Yes or no typed in Chinese or English; None when it is neither."""
    cleaned = normalise(text).rstrip("。.!！ ")
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    return None


def match_option(text: str, labels: Mapping[str, str]) -> str | None:
    """The option whose label (or 1-based position) is typed; a unique partial match counts."""
    cleaned = normalise(text)
    if not cleaned:
        return None
    options = list(labels)
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(options):
        return options[int(cleaned) - 1]
    by_label = {normalise(_strip_decoration(label)): option for option, label in labels.items()}
    if cleaned in by_label:
        return by_label[cleaned]
    if len(cleaned) < 2:
        return None
    partial = {option for label, option in by_label.items() if cleaned in label or label in cleaned}
    return partial.pop() if len(partial) == 1 else None


def _strip_decoration(label: str) -> str:
    # Labels may start with an emoji to help people who read little; typing it is optional.
    return "".join(ch for ch in label if unicodedata.category(ch)[0] != "S").strip()
