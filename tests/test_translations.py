"""The shipped Russian and Simplified Chinese translations.

(a) every entry of locale/<lang>/LC_MESSAGES/django.po is translated and not fuzzy, placeholders intact;
(b) the committed django.mo says the same as the .po (a stale .mo fails here: run compilemessages);
(c) the buyer's first pages, rendered in ru and zh-hans, show no English UI text.

Refresh after changing strings (see README, "Translations"):
    .venv/bin/python manage.py makemessages -l ru -l zh_Hans --ignore=.venv --ignore=var --ignore=tests \
        --ignore=bench --ignore='*/demo/*' --no-obsolete
    (translate the new or fuzzy entries)
    .venv/bin/python manage.py compilemessages -l ru -l zh_Hans --ignore=.venv --ignore=var
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import OrderLineFactory, ParcelFactory, TrackingEventFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
# .po directory name -> Django language code
LANGUAGES = {"ru": "ru", "zh_Hans": "zh-hans"}


# --- a tiny .po parser (no dependencies) ---------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # a singular entry's msgstr is msgstr[0]
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")\s*$')


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries in file order, the header (msgid "") first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None  # what a continuation line extends
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            key, index = target
            if key == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, key, getattr(current, key) + _unquote(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{number}: cannot parse {raw!r}"
        key, index, value = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
        # An entry starts at its msgctxt, or at its msgid when it has no msgctxt.
        if key == "msgctxt" or (key == "msgid" and (current is None or current.msgid is not None)):
            current = Entry(line=number, flags=flags)
            entries.append(current)
            flags = set()
        assert current is not None
        if key == "msgstr":
            current.msgstr[index] = value
        else:
            setattr(current, key, value)
        target = (key, index)
    return entries


def po_path(directory: str) -> Path:
    return LOCALE_DIR / directory / "LC_MESSAGES" / "django.po"


def catalogue(directory: str) -> tuple[Entry, list[Entry]]:
    entries = parse_po(po_path(directory))
    assert entries and entries[0].msgid == "", "the .po has no header"
    return entries[0], entries[1:]


def plural_rule(header: Entry) -> tuple[int, object]:
    match = re.search(r"Plural-Forms:\s*nplurals=(\d+);\s*plural=([^\n]*?);?\s*(?:\n|$)", header.msgstr[0])
    assert match, "the header has no Plural-Forms"
    return int(match.group(1)), gettext_module.c2py(match.group(2))


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}|</?[a-zA-Z][^>]*>")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- (a) complete, not fuzzy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", LANGUAGES)
def test_po_file_is_complete_and_not_fuzzy(directory):
    header, entries = catalogue(directory)
    nplurals, _ = plural_rule(header)
    assert "fuzzy" not in header.flags, "the header is fuzzy: msgfmt would drop it (charset, plural forms)"
    assert entries, "no messages at all"
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if entry.msgid_plural is None:
            if not entry.msgstr.get(0, "").strip():
                problems.append(f"untranslated: {entry.label}")
            elif placeholders(entry.msgstr[0]) != placeholders(entry.msgid):
                problems.append(f"placeholders differ: {entry.label} -> {entry.msgstr[0]!r}")
            continue
        if sorted(entry.msgstr) != list(range(nplurals)):
            problems.append(f"wants {nplurals} plural forms: {entry.label}")
        for index, text in entry.msgstr.items():
            if not text.strip():
                problems.append(f"untranslated plural form {index}: {entry.label}")
            # Each form uses the placeholders of the singular or of the plural msgid (e.g. "one day" may drop the count).
            elif placeholders(text) not in (placeholders(entry.msgid), placeholders(entry.msgid_plural)):
                problems.append(f"placeholders differ in form {index}: {entry.label} -> {text!r}")
    assert not problems, "\n".join(problems)


# --- (b) the compiled .mo matches the .po -------------------------------------------------------------------


@pytest.mark.parametrize("directory", LANGUAGES)
def test_compiled_mo_matches_po(directory):
    header, entries = catalogue(directory)
    _, plural = plural_rule(header)
    assert po_path(directory).with_suffix(".mo").exists(), "no django.mo: run compilemessages"
    stale = []
    with translation.override(LANGUAGES[directory]):
        for entry in entries:
            if "fuzzy" in entry.flags:
                continue  # not compiled on purpose; test (a) reports it
            if entry.msgid_plural is None:
                if entry.msgctxt is None:
                    got = translation.gettext(entry.msgid)
                else:
                    got = translation.pgettext(entry.msgctxt, entry.msgid)
                if got != entry.msgstr.get(0):
                    stale.append(f"{entry.label}: .mo says {got!r}, .po says {entry.msgstr.get(0)!r}")
                continue
            for n in (*range(0, 30), 101, 111, 1001):
                index = plural(n)
                if entry.msgctxt is None:
                    got = translation.ngettext(entry.msgid, entry.msgid_plural, n)
                else:
                    got = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if got != entry.msgstr.get(index):
                    stale.append(f"{entry.label} (n={n}): .mo says {got!r}, .po says {entry.msgstr.get(index)!r}")
                    break
    assert not stale, "django.mo is stale, run compilemessages:\n" + "\n".join(stale)


# --- (c) the buyer's pages show no English -----------------------------------------------------------------

# English UI strings known to appear on these pages when they render in English.
ENGLISH_ON_SIGN_IN = [
    "Sign in", "Sign up", "Username", "Password", "Forgotten your password", "New here", "Create an account",
    "Toggle navigation", "Language", "support for marketplace orders and parcels",
]
ENGLISH_WHEN_SIGNED_IN = [
    "My orders", "My cases", "Profile", "Change password", "Sign out", "Notifications", "Toggle navigation",
    "Language", "support for marketplace orders and parcels",
]
ENGLISH_ON_ORDER_LIST = [*ENGLISH_WHEN_SIGNED_IN, "Posting", "Placed", "Promised by", "Late by", "days"]
ENGLISH_ON_ORDER_DETAIL = [
    *ENGLISH_WHEN_SIGNED_IN, "Posting", "Open a case", "Order number", "Fulfilment", "seller ships", "Placed",
    "Promised by", "Declared value", "Shipping address", "Items", "Quantity", "Unit price", "Parcels", "Tracking number",
    "website", "Tracking history", "Times are in", "In transit", "Late by", "Open a case about this parcel",
]
# A word each language's page must show, so a page that silently fell back to English cannot pass.
EXPECTED = {"ru": "Войти", "zh-hans": "登录"}
EXPECTED_SIGNED_IN = {"ru": "Мои заказы", "zh-hans": "我的订单"}


def english_left(html: str, phrases: list[str]) -> list[str]:
    return [phrase for phrase in phrases if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", html)]


def get(client, url: str, language: str, how: str):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(url)
    else:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.3")
    assert response.status_code == 200, response.status_code
    assert response["Content-Language"] == language
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["cookie", "accept-language"])
@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_sign_in_page_has_no_english(client, language, how):
    html = get(client, reverse("login"), language, how)
    assert EXPECTED[language] in html
    assert english_left(html, ENGLISH_ON_SIGN_IN) == []


@pytest.fixture
def late_order(order):
    """The buyer's order with one late parcel in transit and a line, so badges, timeline and items render."""
    OrderLineFactory(order=order)
    parcel = ParcelFactory(order=order, promised_date=timezone.localdate() - dt.timedelta(days=3))
    TrackingEventFactory(parcel=parcel, occurred_at=timezone.now() - dt.timedelta(hours=5))
    return order


@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_order_list_has_no_english(client, customer, late_order, language):
    client.force_login(customer)
    html = get(client, reverse("portal:order-list"), language, "cookie")
    assert EXPECTED_SIGNED_IN[language] in html
    assert late_order.posting_number in html
    assert english_left(html, ENGLISH_ON_ORDER_LIST) == []


@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_order_detail_has_no_english(client, customer, late_order, language):
    client.force_login(customer)
    html = get(client, reverse("portal:order-detail", args=[late_order.pk]), language, "cookie")
    assert EXPECTED_SIGNED_IN[language] in html
    assert english_left(html, ENGLISH_ON_ORDER_DETAIL) == []


def test_parser_reads_plurals_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)d day"\nmsgid_plural "%(n)d days"\nmsgstr[0] "%(n)d "\n"jour"\nmsgstr[1] ""\n\n'
        'msgctxt "verb"\nmsgid "Open"\nmsgstr "Ouvrir \\"x\\""\n\n#~ msgid "gone"\n#~ msgstr "parti"\n',
        encoding="utf-8",
    )
    header, day, verb = parse_po(po)
    assert header.msgid == "" and "nplurals=2" in header.msgstr[0]
    assert day.msgid_plural == "%(n)d days" and day.msgstr == {0: "%(n)d jour", 1: ""} and "fuzzy" in day.flags
    assert verb.msgctxt == "verb" and verb.msgstr == {0: 'Ouvrir "x"'} and not verb.flags
