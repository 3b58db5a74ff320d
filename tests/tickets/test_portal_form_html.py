"""tickets.portal.form_html renders the case forms as crispy-forms does: the same HTML (attribute order and
whitespace aside) for every kind's form, blank, filled in, and with field and form errors."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test.html import parse_html

from tickets.portal.form_html import case_form_html
from tickets.portal.forms_cases import CASE_FORMS

ORDER = mock.Mock(posting_number="8812345-0001-1", buyer_id=1)
FILLED = {
    "subject": 'Broken <b>"mug"</b>', "body": "It & the box\narrived crushed", "expected_on": "2026-11-30",
    "reason": "wrong_size", "outcome": "refund", "recipient_name": "Анна", "recipient_phone": "not a phone",
    "postal_code": "12", "city": "Moscow", "address_line": "Tverskaya 1", "accept_fee": "on",
    "problem": "It shows someone else's parcel", "number_seen": "RU123",
}


def crispy(form) -> str:
    return Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))


def forms_of(kind: str):
    form_class = CASE_FORMS[kind]
    yield form_class(order=ORDER, parcel=None)
    with mock.patch("tickets.portal.forms_cases.new_case_wait", return_value=None):
        empty = form_class({}, {}, order=ORDER, parcel=None)
        empty.is_valid()
        yield empty
        filled = form_class(FILLED, {"extra_files": [SimpleUploadedFile("a.txt", b"text")]}, order=ORDER, parcel=None)
        filled.is_valid()
        filled.add_error(None, "Something <wrong> with the case as a whole")
        yield filled


@pytest.mark.parametrize("kind", list(CASE_FORMS))
def test_every_case_form_renders_as_crispy_renders_it(kind):
    for form in forms_of(kind):
        assert parse_html(case_form_html(form)) == parse_html(crispy(form)), form.errors
