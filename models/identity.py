"""Personal identifiers: 身份证号 (GB 11643), phone numbers, passwords, masks.

Input is NFKC-normalised and matched with explicit [0-9] classes, never \\d,
which also matches full-width and Arabic-Indic digits (one person could
otherwise register twice).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from models import clock

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
CHECK_CHARS = "10X98765432"
ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
PASSWORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{7,19}$")
# Province codes of GB/T 2260 plus 81/82/83 (港澳台居民居住证).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}
RESIDENCE_PERMIT_PREFIXES = ("810000", "820000", "830000")


class InvalidIdNumber(ValueError):
    pass


#: Unicode control characters (category Cc: NUL and the other C0 codes, DEL,
#: C1) except tab and line breaks. None belongs in what a person types, and
#: PostgreSQL refuses NUL in any text value (a database error, not a message).
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_CHARACTER_MESSAGE = "不能包含控制字符（如空字符等不可见字符），请删除后重新输入"


def has_control_characters(value) -> bool:
    return isinstance(value, str) and CONTROL_RE.search(value) is not None


def normalise_text(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def normalise_id_number(value: str | None) -> str:
    return normalise_text(value).replace(" ", "").upper()


def check_char(body17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS)) % 11]


def parse_id_number(value: str | None, today: date | None = None) -> dict:
    """Validate an ID number; return its normalised form, birth date and gender.

    Raises InvalidIdNumber with a Chinese message saying what is wrong.
    """
    s = normalise_id_number(value)
    if not s:
        raise InvalidIdNumber("请输入身份证号")
    if len(s) != 18:
        raise InvalidIdNumber("身份证号应为18位")
    if not ID_RE.match(s):
        raise InvalidIdNumber("身份证号只能由数字和末位的X组成")
    if s[:2] not in PROVINCES:
        raise InvalidIdNumber("身份证号的地区码不正确")
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期不正确") from None
    if birth > (today or clock.today()) or birth.year < 1900:
        raise InvalidIdNumber("身份证号中的出生日期不正确")
    if check_char(s[:17]) != s[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对")
    return {
        "id_number": s,
        "birth_date": birth,
        "gender": "男" if int(s[16]) % 2 else "女",
        "residence_permit": s.startswith(RESIDENCE_PERMIT_PREFIXES),
    }


def looks_like_id_number(value: str | None) -> bool:
    return bool(ID_RE.match(normalise_id_number(value)))


def normalise_login(value: str | None) -> str:
    """An ID number is upper-cased (lowercase x logs in too); other names are kept."""
    s = normalise_text(value)
    return s.upper() if looks_like_id_number(s) else s


def phone_error(value: str | None) -> str | None:
    s = normalise_text(value)
    if not s:
        return "请输入手机号"
    if not PHONE_RE.match(s):
        return "手机号应为以1开头的11位数字"
    return None


def password_error(value: str | None) -> str | None:
    """Manual 1.1.1.3 item 3: begins with a letter, letters and digits, 8–20."""
    if not value:
        return "请输入密码"
    if not 8 <= len(value) <= 20:
        return "密码长度应为8至20位"
    if not value[0].isascii() or not value[0].isalpha():
        return "密码须以字母开头"
    if not PASSWORD_RE.match(value):
        return "密码只能包含字母和数字"
    if not any(c.isdigit() for c in value):
        return "密码须同时包含字母和数字"
    return None


def mask_id_number(value: str | None) -> str:
    """1201**********123X: the first four and the last four characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)


ID_IN_TEXT_RE = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9])")
PHONE_IN_TEXT_RE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask_text(text: str) -> str:
    """Mask every ID number and phone number found inside free text (logs)."""
    text = ID_IN_TEXT_RE.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return PHONE_IN_TEXT_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_error(value: str | None) -> str | None:
    """统一社会信用代码 (GB 32100-2015): 18 characters, mod-31 check."""
    s = normalise_id_number(value)
    if len(s) != 18 or any(c not in CREDIT_CODE_CHARS for c in s):
        return "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(s[:17], CREDIT_CODE_WEIGHTS))
    if CREDIT_CODE_CHARS[(31 - total % 31) % 31] != s[17]:
        return "统一社会信用代码校验位不正确"
    return None
