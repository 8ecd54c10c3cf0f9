"""Numbers, yes/no and options as people type them."""

from decimal import Decimal

import pytest

from bot.flows.parsing import match_option, parse_number, parse_yes_no


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1500", 1500),
        ("1,500元", 1500),
        ("1，500 元", 1500),
        ("about 2000", 2000),
        ("大约两千", 2000),
        ("两千左右", 2000),
        ("一千五", 1500),
        ("一千五百块", 1500),
        ("1.5万", 15000),
        ("3k", 3000),
        ("１２００", 1200),
        ("¥800", 800),
        ("0", 0),
        ("68岁", 68),
        ("3口人", 3),
        ("70 years old", 70),
        ("", None),
        ("abc", None),
        ("1500-2000", None),
        ("<b>12</b>", None),
    ],
)
def test_numbers_as_people_write_them(typed: str, value: int | None) -> None:
    parsed = parse_number(typed)
    assert parsed == (None if value is None else Decimal(value))


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("是", True),
        ("是的", True),
        ("有", True),
        ("Yes", True),
        ("y", True),
        ("OK!", True),
        ("否", False),
        ("没有", False),
        ("不是", False),
        ("No", False),
        ("nope", False),
        ("maybe", None),
        ("", None),
        ("也许", None),
    ],
)
def test_yes_and_no_in_two_languages(typed: str, value: bool | None) -> None:
    assert parse_yes_no(typed) is value


def test_option_by_label_number_or_unique_part() -> None:
    labels = {"jijiang": "几江街道", "baisha": "白沙镇", "shimen": "石门镇"}
    assert match_option("白沙镇", labels) == "baisha"
    assert match_option("白沙", labels) == "baisha"
    assert match_option("2", labels) == "baisha"
    assert match_option("镇", labels) is None  # too short and ambiguous
    assert match_option("北京", labels) is None
    assert match_option("9", labels) is None
