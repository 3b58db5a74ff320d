from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from logistics.tracking_numbers import (
    make_russian_post_14,
    make_s10,
    russian_post_check_digit,
    s10_check_digit,
    validate_tracking_number,
)


def test_s10_check_digit_of_the_upu_example():
    assert s10_check_digit("12345678") == 5
    assert validate_tracking_number("rb 123456785 gb", ["s10"]) == "RB123456785GB"


@pytest.mark.parametrize(("serial", "expected"), [("00000000", 5), ("00000008", 0)])
def test_s10_special_remainders(serial, expected):
    # 11 - 0 = 11 -> 5; a remainder of 1 gives 10 -> 0
    assert s10_check_digit(serial) == expected


def test_wrong_s10_check_digit_says_which_digit_is_right():
    with pytest.raises(ValidationError) as error:
        validate_tracking_number("RB123456784GB", ["s10", "russian_post_14"])
    assert error.value.messages == ["RB123456784GB: the check digit should be 5."]


def test_russian_post_14_check_digit():
    number = make_russian_post_14("8010208112345")
    assert int(number[-1]) == russian_post_check_digit("8010208112345")
    assert validate_tracking_number(number, ["russian_post_14"]) == number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(ValidationError, match="check digit should be"):
        validate_tracking_number(wrong, ["russian_post_14"])


@pytest.mark.parametrize(
    ("number", "formats", "message"),
    [
        ("12345", ["cdek"], "expected 10 digits"),
        ("57195475-0050", ["ozon_posting"], "not an Ozon posting number"),
        ("", ["generic"], "Enter a tracking number"),
        ("RB12345678GB", ["s10"], "not an S10 number"),
    ],
)
def test_shape_errors_say_what_is_expected(number, formats, message):
    with pytest.raises(ValidationError, match=message):
        validate_tracking_number(number, formats)


def test_valid_numbers_of_each_format():
    assert validate_tracking_number(make_s10("LP", "00112233", "CN"), ["s10"])
    assert validate_tracking_number("1234567890", ["cdek"]) == "1234567890"
    assert validate_tracking_number("57195475-0050-3", ["ozon_posting"]) == "57195475-0050-3"
