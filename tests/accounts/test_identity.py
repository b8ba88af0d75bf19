"""ID numbers (GB 11643), phones, passwords and masks (A2, A3, B8)."""
from datetime import date

import pytest

from models.identity import (
    InvalidIdNumber,
    check_char,
    credit_code_error,
    mask_id_number,
    mask_phone,
    mask_text,
    normalise_login,
    parse_id_number,
    password_error,
    phone_error,
)


@pytest.mark.parametrize("value, gender, birth", [
    ("11010519491231002X", "女", date(1949, 12, 31)),
    ("11010519491231002x", "女", date(1949, 12, 31)),   # lowercase x is stored as X
    ("120101199003070013", "男", date(1990, 3, 7)),
    (" 120101199003070013 ", "男", date(1990, 3, 7)),
    ("１２０１０１１９９００３０７００１３", "男", date(1990, 3, 7)),  # full-width, NFKC-normalised
])
def test_valid_id_numbers(value, gender, birth):
    parsed = parse_id_number(value)
    assert parsed["gender"] == gender
    assert parsed["birth_date"] == birth
    assert parsed["id_number"] == parsed["id_number"].upper()
    assert len(parsed["id_number"]) == 18


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_residence_permits_accepted(prefix):
    body = prefix + "19880808123"
    parsed = parse_id_number(body + check_char(body))
    assert parsed["residence_permit"] is True


@pytest.mark.parametrize("value, message", [
    ("", "请输入身份证号"),
    ("12010119900307001", "18位"),
    ("1201011990030700133", "18位"),
    ("12010119900307001Y", "数字"),
    ("120101199003070012", "校验位"),
    ("120101199002300013", "出生日期"),       # 30 February
    ("120101209901010013", "出生日期"),       # in the future
    ("990101199003070013", "地区码"),
    ("١٢٠١٠١١٩٩٠٠٣٠٧٠٠١٣", "数字"),          # Arabic-Indic digits are not [0-9]
])
def test_invalid_id_numbers(value, message):
    with pytest.raises(InvalidIdNumber) as exc:
        parse_id_number(value)
    assert message in str(exc.value)


def test_future_birth_date_is_relative_to_today():
    body = "12010120300101001"
    with pytest.raises(InvalidIdNumber):
        parse_id_number(body + check_char(body), today=date(2026, 11, 26))


def test_login_name_normalisation():
    assert normalise_login("11010519491231002x") == "11010519491231002X"
    assert normalise_login(" baili_hr ") == "baili_hr"


@pytest.mark.parametrize("value, ok", [
    ("13800000001", True), ("19912345678", True), ("12800000001", False), ("1380000000", False),
    ("138000000011", False), ("１３８００００００01", True), ("138-0000-0001", False), ("", False),
])
def test_phone(value, ok):
    assert (phone_error(value) is None) is ok


@pytest.mark.parametrize("value, message", [
    ("abc12345", None), ("A1234567", None), ("Abcdefg12345678901234"[:20], None),
    ("1abc2345", "字母开头"), ("abcdefgh", "字母和数字"), ("abc1234", "8至20位"),
    ("abc123456789012345678", "8至20位"), ("abc 12345", "只能包含"), ("abc12345!", "只能包含"),
    ("密码abc12345", "字母开头"), ("", "请输入"),
])
def test_password_rule(value, message):
    error = password_error(value)
    if message is None:
        assert error is None
    else:
        assert error and message in error


def test_masks():
    assert mask_id_number("12010119900307001X") == "1201**********001X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_text("id=120101199003070013 tel 13812345678.") == "id=1201**********0013 tel 138****5678."


def test_credit_code():
    for real in ("91330100799655058B", "91440300708461136T", "914403001922038216"):
        assert credit_code_error(real) is None
    assert "校验位" in credit_code_error("91330100799655058C")
    assert credit_code_error("short")
