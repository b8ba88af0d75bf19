"""Field types of the declaration. Each knows its column, how to read and
check what a person typed (with a Chinese message), how to show a stored
value, and when it applies (`when` / `unless` another field's value)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any, Callable

from sqlalchemy import Date, ForeignKey, Integer, String, Text

from models import clock
from models.identity import CONTROL_CHARACTER_MESSAGE, has_control_characters


class Invalid(ValueError):
    """A value a person typed that cannot be stored; the message is shown beside the field."""


def clean_text(value: Any, compatibility: bool = False) -> str:
    """Trim; refuse control characters (Invalid, shown beside the field);
    drop other invisible formatting characters. Free text keeps its
    full-width Chinese punctuation (NFC); numbers, dates and codes are folded
    (NFKC), so full-width digits count as digits."""
    if has_control_characters(value):
        raise Invalid(CONTROL_CHARACTER_MESSAGE)
    form = "NFKC" if compatibility else "NFC"
    # line breaks are stored as \n whatever the browser sent (\r\n, a lone \r)
    text = unicodedata.normalize(form, str(value or "")).replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


@dataclass
class Field:
    name: str
    label: str
    required: bool = False
    #: the field applies only when another field has one of these values
    when: tuple[str, tuple] | None = None
    #: … or only when it has none of them
    unless: tuple[str, tuple] | None = None
    help: str = ""
    readonly: bool = False
    kind: str = dc_field(default="text", init=False)

    # -- storage: the column type (None for fields that are not stored) --
    def column(self):
        return None

    # -- input --
    def parse(self, raw: str) -> Any:
        """The stored value for what was typed (None when empty); raises Invalid."""
        return clean_text(raw) or None

    def applies(self, values: dict) -> bool:
        if self.when:
            other, allowed = self.when
            if values.get(other) not in allowed:
                return False
        if self.unless:
            other, refused = self.unless
            if values.get(other) in refused:
                return False
        return True

    # -- output --
    def display(self, value: Any, lookups=None) -> str:
        return "" if value is None else str(value)

    def as_input(self, value: Any) -> str:
        return "" if value is None else str(value)


@dataclass
class TextField(Field):
    max_length: int = 50
    multiline: bool = False
    #: optional regular expression the whole value must match, with its message
    pattern: tuple[str, str] | None = None
    kind: str = dc_field(default="text", init=False)

    def column(self):
        return Text() if self.max_length > 255 else String(self.max_length)

    def parse(self, raw):
        # codes such as 期刊号 or 专利号 may be typed in full-width characters
        text = clean_text(raw, compatibility=self.pattern is not None)
        if not self.multiline:
            text = " ".join(text.split())
        if not text:
            return None
        if len(text) > self.max_length:
            raise Invalid(f"{self.label}最多{self.max_length}个字，现有{len(text)}个字")
        if self.pattern and not re.fullmatch(self.pattern[0], text):
            raise Invalid(self.pattern[1])
        return text


def digits_or_none(raw: Any, pattern: str, message: str) -> str | None:
    """What was typed, folded to ASCII digits; None when empty; Invalid unless it matches."""
    text = clean_text(raw, compatibility=True)
    if not text:
        return None
    if not re.fullmatch(pattern, text):
        raise Invalid(message)
    return text


@dataclass
class IntField(Field):
    digits: int = 3
    minimum: int = 0
    kind: str = dc_field(default="int", init=False)

    def column(self):
        return Integer()

    def parse(self, raw):
        # a sign or fraction is refused with what is allowed, never just "整数"
        allowed = "正整数" if self.minimum >= 1 else "0或正整数"
        text = digits_or_none(raw, r"[0-9]+", f"{self.label}请填写{allowed}")
        if text is None:
            return None
        if len(text.lstrip("0") or "0") > self.digits:
            raise Invalid(f"{self.label}最多{self.digits}位数字")
        value = int(text)
        if value < self.minimum:
            raise Invalid(f"{self.label}请填写{allowed}" if self.minimum == 1 else f"{self.label}不能小于{self.minimum}")
        return value


@dataclass
class YearField(Field):
    kind: str = dc_field(default="year", init=False)

    def column(self):
        return Integer()

    def parse(self, raw):
        text = digits_or_none(raw, r"[0-9]{4}", f"{self.label}请填写4位年份，如2024")
        if text is None:
            return None
        year = int(text)
        if not 1950 <= year <= clock.today().year:
            raise Invalid(f"{self.label}应在1950年至{clock.today().year}年之间")
        return year


DATE_RE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})(?:\s*[-/.月]\s*([0-9]{1,2})\s*日?)?\s*月?")
#: the one answer to a date that does not exist (2027-02-30) or cannot be read, on every form
DATE_IMPOSSIBLE = "日期不存在，请按 2027-02-28 的格式填写"
DATE_UNREADABLE = "日期格式不正确，请按 2027-02-28 的格式填写"
DATE_INCOMPLETE = "请填写完整的日期（年、月、日），如 2027-02-28"


def parse_date(text: Any, label: str = "", month_ok: bool = True) -> date | None:
    """The one reading of a typed date, for every form: 2027-02-28,
    2027/2/28, 2027.2.28, 2027年2月28日 and 20270228 are the same day; a
    month alone (2020-05, 2020年5月, 202005) means its 1st where `month_ok`
    (the declaration's dates, D18) and is refused elsewhere. A date that does
    not exist (2027-02-30) is refused, never moved to another day. None when
    nothing was typed; Invalid (with the field's label) otherwise."""
    text = clean_text(text, compatibility=True)
    if not text:
        return None
    prefix = f"{label}：" if label else ""
    compact = re.fullmatch(r"([0-9]{4})([0-9]{2})([0-9]{2})?", text)
    match = compact or DATE_RE.fullmatch(text)
    if not match:
        hint = "；只知道年月的填 2020-05" if month_ok else ""
        raise Invalid(prefix + DATE_UNREADABLE + hint)
    if match.group(3) is None and not month_ok:
        raise Invalid(prefix + DATE_INCOMPLETE)
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        value = date(year, month, day)
    except ValueError:
        raise Invalid(prefix + DATE_IMPOSSIBLE) from None
    if year < 1900:
        raise Invalid(prefix + DATE_IMPOSSIBLE)
    return value


@dataclass
class DateField(Field):
    #: dates in the future are refused unless allowed (e.g. 有效期止)
    future_ok: bool = False
    kind: str = dc_field(default="date", init=False)

    def column(self):
        return Date()

    def parse(self, raw):
        value = parse_date(raw, self.label)
        if value and not self.future_ok and value > clock.today():
            raise Invalid(f"{self.label}不能晚于今天")
        return value

    def display(self, value, lookups=None):
        return value.strftime("%Y-%m-%d") if value else ""

    def as_input(self, value):
        return value.strftime("%Y-%m-%d") if value else ""


@dataclass
class ChoiceField(Field):
    """A choice from a dictionary kind (dict_item) or from fixed choices.

    The stored value is the code; what is shown is the dictionary's name."""

    dictionary: str | None = None
    choices: tuple[str, ...] = ()
    #: extra (code, name) pairs offered after the dictionary's entries
    extra: tuple[tuple[str, str], ...] = ()
    #: show parents as groups, offer only the leaves
    grouped: bool = False
    searchable: bool = False
    #: a title-name choice narrowed by the series and level fields named here
    chain: tuple[str, str] | None = None
    kind: str = dc_field(default="choice", init=False)

    def column(self):
        return String(40)

    def options(self, lookups) -> list[tuple[str | None, list[tuple[str, str]]]]:
        """[(group label or None, [(code, name), …]), …]"""
        if not self.dictionary:
            return [(None, [(c, c) for c in self.choices])]
        return lookups.options(self.dictionary, grouped=self.grouped) + ([(None, list(self.extra))] if self.extra
                                                                           else [])

    def codes(self, lookups) -> set[str]:
        return {code for _, items in self.options(lookups) for code, _ in items}

    def parse(self, raw):
        text = clean_text(raw, compatibility=True)
        return text or None

    def check_choice(self, value, lookups):
        if value is not None and value not in self.codes(lookups):
            raise Invalid(f"请从列表中选择{self.label}")

    def display(self, value, lookups=None):
        if value is None:
            return ""
        if self.dictionary and lookups is not None:
            extra = dict(self.extra)
            return extra.get(value) or lookups.name(self.dictionary, value) or value
        return value


@dataclass
class RowChoiceField(Field):
    """Marks one row of another section (有效学历 marks one 学历信息 row)."""

    section: str = ""
    kind: str = dc_field(default="rowchoice", init=False)

    def column(self):
        return Integer()

    def parse(self, raw):
        text = clean_text(raw, compatibility=True)
        if not text:
            return None
        if not re.fullmatch(r"[0-9]{1,10}", text):
            raise Invalid(f"请选择{self.label}")
        return int(text)


@dataclass
class RefField(Field):
    """A reference to a row of another table (unit, series, level, title name)."""

    target: str = ""          # "organisation", "title_series", "title_level", "title_name"
    kind: str = dc_field(default="ref", init=False)

    def column(self):
        return Integer()

    def foreign_key(self):
        return ForeignKey(f"{self.target}.id")

    def parse(self, raw):
        text = clean_text(raw, compatibility=True)
        if not text:
            return None
        if not re.fullmatch(r"[0-9]{1,10}", text):
            raise Invalid(f"请从列表中选择{self.label}")
        return int(text)

    def display(self, value, lookups=None):
        if value is None:
            return ""
        return lookups.ref_name(self.target, value) if lookups is not None else str(value)


@dataclass
class DerivedField(Field):
    """Shown, never typed: taken from the account or the ID number (姓名, 性别 …)."""

    source: Callable | None = None
    kind: str = dc_field(default="derived", init=False)

    def __post_init__(self):
        self.readonly = True

    def parse(self, raw):
        return None


YES_NO = ("是", "否")
