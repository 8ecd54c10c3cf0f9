"""Reading identity data as people type it: resident ID numbers and mobile numbers.

Each reader returns the normalised value, or the specific reason it cannot be one, so the
resident is told exactly what to fix ("the last character does not match") rather than "invalid".
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

ID_LENGTH = 18
# People write numbers with spaces, dashes or dots between groups; none of them carry meaning.
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.·]+")
_OLDEST_BIRTH_YEAR = 1900


class IdProblem(StrEnum):
    LENGTH = "length"  # not 18 characters
    FORMAT = "format"  # a letter (or other sign) where digits belong
    BIRTH_DATE = "birth_date"  # the 8 birth-date digits are no real date, or a future one
    CHECK = "check"  # the last character does not match the first 17 (a mistyped digit)


class PhoneProblem(StrEnum):
    LENGTH = "length"
    FORMAT = "format"  # letters or signs
    LANDLINE = "landline"  # a Chongqing landline (023…): we need a number that gets SMS
    PREFIX = "prefix"  # 11 digits that are no mainland mobile number


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def read_id_number(text: str, today: date) -> tuple[str | None, IdProblem | None]:
    """A GB 11643 number, upper-case X; or why not. The address code is not checked on purpose:
    numbers issued under old codes are still valid."""
    number = _clean(text)
    if len(number) != ID_LENGTH:
        return None, IdProblem.LENGTH
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        return None, IdProblem.FORMAT
    # The birth date first: a mistyped date also breaks the check character, and "the birth
    # date is wrong" tells the resident where to look.
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        return None, IdProblem.BIRTH_DATE
    if born > today or born.year < _OLDEST_BIRTH_YEAR:
        return None, IdProblem.BIRTH_DATE
    if ric.calc_check_digit(number) != number[-1]:
        return None, IdProblem.CHECK
    return number, None


def birth_date(number: str) -> date | None:
    """The birth date of a number ``read_id_number`` accepted; None for anything else."""
    try:
        return ric.get_birth_date(number)
    except (ValidationError, ValueError):
        return None


def age_on(number: str, today: date) -> int | None:
    born = birth_date(number)
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def read_mobile(text: str) -> tuple[str | None, PhoneProblem | None]:
    """A mainland mobile number (1[3-9] and 9 digits) as 11 digits; or why not."""
    number = _clean(text).replace("(", "").replace(")", "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not number.isdigit():
        return None, PhoneProblem.FORMAT
    if number.startswith("023") and len(number) == 11:
        return None, PhoneProblem.LANDLINE
    if len(number) != 11:
        return None, PhoneProblem.LENGTH
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        return None, PhoneProblem.PREFIX
    return number, None
