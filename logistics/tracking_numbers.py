"""Tracking-number formats and their check digits (DESIGN §5).

Each validator returns the normalised number or raises ValidationError with a message that
says exactly what is wrong ("check digit should be 5"), so forms, the admin and the API can
show it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_RP14 = re.compile(r"^\d{14}$")
_CDEK = re.compile(r"^\d{10}$")
_OZON_POSTING = re.compile(r"^\d{6,12}-\d{3,5}-\d{1,3}$")
_GENERIC = re.compile(r"^[A-Z0-9-]{6,40}$")


class NumberFormat(models.TextChoices):
    S10 = "s10", _("UPU S10 (RB123456785CN)")
    RUSSIAN_POST_14 = "russian_post_14", _("Russian Post domestic (14 digits)")
    CDEK = "cdek", _("CDEK (10 digits)")
    OZON_POSTING = "ozon_posting", _("Ozon posting number (57195475-0050-3)")
    GENERIC = "generic", _("Other carrier (6–40 letters, digits, dashes)")


def normalise(number: str) -> str:
    return re.sub(r"\s+", "", number or "").upper()


def s10_check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial: 11 − (Σ digit×weight mod 11), 10 → 0, 11 → 5."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def russian_post_check_digit(first13: str) -> int:
    """Check digit of a 14-digit domestic number: 3 × odd positions 1–13 + even positions 2–12."""
    odd = sum(int(first13[i]) for i in range(0, 13, 2))
    even = sum(int(first13[i]) for i in range(1, 12, 2))
    return (10 - (3 * odd + even) % 10) % 10


def validate_s10(number: str) -> str:
    match = _S10.match(number)
    if not match:
        raise ValidationError(_("%(number)s is not an S10 number: expected 2 letters, 9 digits, 2 letters (e.g. RB123456785CN).") % {"number": number})
    expected = s10_check_digit(match.group(2))
    if int(match.group(3)) != expected:
        raise ValidationError(
            _("%(number)s: the check digit should be %(digit)s.") % {"number": number, "digit": expected}, code="check_digit"
        )
    return number


def validate_russian_post_14(number: str) -> str:
    if not _RP14.match(number):
        raise ValidationError(_("%(number)s is not a Russian Post domestic number: expected 14 digits.") % {"number": number})
    expected = russian_post_check_digit(number[:13])
    if int(number[13]) != expected:
        raise ValidationError(
            _("%(number)s: the check digit should be %(digit)s.") % {"number": number, "digit": expected}, code="check_digit"
        )
    return number


def _pattern_validator(pattern: re.Pattern[str], message: str) -> Callable[[str], str]:
    def validate(number: str) -> str:
        if not pattern.match(number):
            raise ValidationError(message % {"number": number})
        return number

    return validate


VALIDATORS: dict[str, Callable[[str], str]] = {
    NumberFormat.S10: validate_s10,
    NumberFormat.RUSSIAN_POST_14: validate_russian_post_14,
    NumberFormat.CDEK: _pattern_validator(_CDEK, "%(number)s is not a CDEK number: expected 10 digits."),
    NumberFormat.OZON_POSTING: _pattern_validator(_OZON_POSTING, "%(number)s is not an Ozon posting number (e.g. 57195475-0050-3)."),
    NumberFormat.GENERIC: _pattern_validator(_GENERIC, "%(number)s: use 6–40 letters, digits or dashes."),
}


def validate_tracking_number(number: str, formats: list[str] | tuple[str, ...]) -> str:
    """Normalise `number` and accept it if it fits any of `formats`.

    Raises ValidationError with the message of the closest format: the one whose shape matches
    (so a wrong check digit is reported as such), else the first format's.
    """
    number = normalise(number)
    if not number:
        raise ValidationError(_("Enter a tracking number."))
    errors: list[ValidationError] = []
    for fmt in formats:
        try:
            return VALIDATORS[fmt](number)
        except ValidationError as error:
            errors.append(error)
    check_digit_errors = [e for e in errors if e.code == "check_digit"]
    raise (check_digit_errors or errors or [ValidationError(_("No number formats are configured."))])[0]


def validate_number_formats(value: object) -> None:
    """Model-field validator: a list of known NumberFormat values."""
    if not isinstance(value, list) or any(fmt not in NumberFormat.values for fmt in value):
        raise ValidationError(_("Use a list of: %(formats)s.") % {"formats": ", ".join(NumberFormat.values)})


def make_s10(prefix: str, serial: str, country: str) -> str:
    """Build a valid S10 number (for demo data and tests)."""
    return f"{prefix}{serial}{s10_check_digit(serial)}{country}"


def make_russian_post_14(first13: str) -> str:
    """Build a valid 14-digit domestic number (for demo data and tests)."""
    return f"{first13}{russian_post_check_digit(first13)}"
