"""Ozon's FBS posting report («Отправления», CSV from the seller back office) → postings. Pure: no ORM.

The file: UTF-8 (with or without BOM), `;`-separated, a header line of Russian column names, one row
per product of a posting (a posting of three products has three rows). Columns are found by name, in
any order; other columns are ignored. See COLUMNS for what is read and what is required.

Encoding: a file that is not UTF-8 is refused whole with a message that names the likely encoding
(Windows-1251 when its header reads as Russian in it); we do not guess-decode, since a wrong guess
would store garbled names. A file that is UTF-8 except for a few lines rejects just those rows.

A bad row (missing required value, bad date or number, unknown status, bad encoding) rejects its
whole posting: an order is never imported with some of its lines missing. Two rows of one posting
with the same article are a duplicate: the later one wins and the report says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from marketplace.ozon.statuses import status_code
from marketplace.postings import LineData, PostingData


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("order_number", "Номер заказа", True),
    Column("posting_number", "Номер отправления", True),
    Column("placed_at", "Принят в обработку", True),
    Column("status", "Статус", True),
    Column("amount", "Сумма отправления", True),
    Column("name", "Наименование товара", True),
    Column("sku", "Артикул", True),
    Column("quantity", "Количество", True),
    Column("shipment_date", "Дата отгрузки", False),
    Column("handed_over_at", "Фактическая дата передачи в доставку", False),
    Column("delivered_at", "Дата доставки", False),
    Column("currency", "Код валюты отправления", False),
    Column("unit_price", "Ваша цена", False),
    Column("tracking_number", "Трек-номер", False),
    Column("delivery_method", "Способ доставки", False),
    Column("region", "Регион доставки", False),
    Column("city", "Город доставки", False),
)
# 2026-11-30 14:05[:00] or 30.11.2026 14:05[:00], the time optional: read by hand, strptime is the slowest part of a row.
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LIMITS = {"order_number": 64, "posting_number": 64, "sku": 64, "name": 300, "tracking_number": 64}


class ReportError(ValueError):
    """The file as a whole cannot be imported (encoding, separator, missing columns): nothing was written."""


class RowError(ValueError):
    pass


@dataclass(frozen=True)
class ReportPosting:
    data: PostingData
    lines: tuple[int, ...]  # the file's line numbers of its rows


@dataclass
class ParsedReport:
    postings: list[ReportPosting] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    notes: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold().replace("ё", "е")


def decode(raw: bytes) -> tuple[str, bool]:
    """The file's text, and whether some of it was not UTF-8. Raises ReportError for a file whose header is not
    UTF-8; undecodable bytes later in the file stay as surrogates, so their rows alone are rejected."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise ReportError("The file is empty.")
    header = raw.split(b"\n", 1)[0]
    try:
        header.decode("utf-8")
    except UnicodeDecodeError:
        known = any(c.header.casefold() in header.decode("cp1251", errors="replace").casefold() for c in COLUMNS)
        hint = "it looks like Windows-1251 (cp1251)" if known else "its encoding is unknown"
        raise ReportError(f"The file is not UTF-8 ({hint}). Export it again as UTF-8 (the back office's default), or save it "
                          "as “CSV UTF-8” in Excel.") from None
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="surrogateescape"), True


def find_columns(header: list[str]) -> dict[str, int]:
    """{column key: index}. Raises ReportError naming every required column that is missing."""
    if len(header) == 1 and any(sep in header[0] for sep in (",", "\t")):
        raise ReportError("The columns are not separated by “;”. Export the report again without changing the separator.")
    positions = {_header_key(name): index for index, name in reversed(list(enumerate(header)))}
    found = {c.key: positions[_header_key(c.header)] for c in COLUMNS if _header_key(c.header) in positions}
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    if missing:
        raise ReportError("Required columns are missing: " + ", ".join(f"«{name}»" for name in missing) + ". Nothing was imported.")
    return found


def _datetime(value: str, tz: dt.tzinfo, what: str) -> dt.datetime:
    """A report time: naive ones are in `tz` (the shop's); ISO 8601 with an offset is taken as it is."""
    try:
        if match := _YMD.match(value):
            y, m, d, hh, mm, ss = match.groups()
            return dt.datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz)
        if match := _DMY.match(value):
            d, m, y, hh, mm, ss = match.groups()
            return dt.datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:  # no such day or hour (32.11.2026, 25:00) or no date at all
        raise RowError(f"«{what}»: {value!r} is not a date (use 2026-11-30 14:05:00 or 30.11.2026 14:05)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _decimal(value: str, what: str) -> Decimal:
    text = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(f"«{what}»: {value!r} is not a number") from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e10"):
        raise RowError(f"«{what}»: {value!r} is not an amount between 0 and 9,999,999,999")
    return number.quantize(Decimal("0.01"))


def _quantity(value: str) -> int:
    number = _decimal(value, "Количество")
    if number != number.to_integral_value() or number < 1:
        raise RowError(f"«Количество»: {value!r} is not a whole number of at least 1")
    return int(number)


@dataclass(frozen=True)
class _Row:
    line: int
    posting: PostingData  # with this row's single line


def parse_row(cells: dict[str, str], *, line: int, tz: dt.tzinfo, check_encoding: bool = False) -> _Row:
    """One row → its posting (with one line). Raises RowError saying which column is wrong and why."""
    if check_encoding and any(_SURROGATE.search(text) for text in cells.values()):
        raise RowError("bad encoding: this line is not valid UTF-8")
    for key, limit in _LIMITS.items():
        if len(cells.get(key, "")) > limit:
            raise RowError(f"«{_header(key)}» is longer than {limit} characters")
    for column in COLUMNS:
        if column.required and not cells.get(column.key):
            raise RowError(f"«{column.header}» is empty")
    code = status_code(cells["status"])
    if code is None:
        raise RowError(f"«Статус»: {cells['status']!r} is not an Ozon posting status")
    currency = (cells.get("currency") or "RUB").upper()
    if not _CURRENCY.match(currency):
        raise RowError(f"«Код валюты отправления»: {currency!r} is not a three-letter currency code")
    quantity = _quantity(cells["quantity"])
    price = _decimal(cells["unit_price"], "Ваша цена") if cells.get("unit_price") else Decimal("0.00")
    shipped = cells.get("handed_over_at") or cells.get("shipment_date")
    delivered = cells.get("delivered_at")
    method = cells.get("delivery_method", "")
    return _Row(line=line, posting=PostingData(
        posting_number=cells["posting_number"], order_number=cells["order_number"], ozon_status=code,
        placed_at=_datetime(cells["placed_at"], tz, "Принят в обработку"), declared_value=_decimal(cells["amount"], "Сумма отправления"),
        currency=currency, lines=(LineData(sku=cells["sku"], name=cells["name"], quantity=quantity, unit_price=price),),
        tracking_number=cells.get("tracking_number", ""), delivery_method=method,
        ozon_logistics="ozon" in method.casefold() or not (method or cells.get("tracking_number")),
        shipped_at=_datetime(shipped, tz, "Дата отгрузки") if shipped else None,
        delivered_at=_datetime(delivered, tz, "Дата доставки") if delivered else None,
        region=cells.get("region", "")[:120], city=cells.get("city", "")[:120],
    ))


def _header(key: str) -> str:
    return next(c.header for c in COLUMNS if c.key == key)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:  # e.g. a quote left open to the end of the file
        raise ReportError(f"Line {start}: the file is not valid CSV ({error}). Nothing was imported.") from None


def parse_report(raw: bytes, *, time_zone: str = "Europe/Moscow") -> ParsedReport:
    """Every posting of the file, or the reason each rejected row was rejected. Raises ReportError for the file."""
    tz = zoneinfo.ZoneInfo(time_zone)
    text, check_encoding = decode(raw)
    records = _records(text)
    try:
        _line, header = next(records)
    except StopIteration:
        raise ReportError("The file is empty.") from None
    columns = find_columns(header)
    report, rows = ParsedReport(), []
    bad: dict[str, int] = {}  # posting number → its first rejected line
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank lines, e.g. at the end
        report.rows += 1
        cells = {key: record[index].strip() if index < len(record) else "" for key, index in columns.items()}
        try:
            rows.append(parse_row(cells, line=line, tz=tz, check_encoding=check_encoding))
        except RowError as error:
            report.rejected.append((line, str(error)))
            bad.setdefault(cells.get("posting_number", ""), line)
    _group(rows, bad, report)
    return report


def _group(rows: Iterable[_Row], bad: dict[str, int], report: ParsedReport) -> None:
    """Rows → postings: a posting's rows become its lines; a posting with a bad row is rejected whole."""
    by_posting: dict[str, list[_Row]] = {}
    for row in rows:
        by_posting.setdefault(row.posting.posting_number, []).append(row)
    for number, posting_rows in by_posting.items():
        if number in bad:
            report.rejected += [(r.line, f"not imported: line {bad[number]} of the same posting was rejected") for r in posting_rows]
            continue
        lines: dict[str, tuple[int, LineData]] = {}
        for row in posting_rows:
            line_data = row.posting.lines[0]
            if line_data.sku in lines:
                report.notes.append((row.line, f"repeats line {lines[line_data.sku][0]} (posting {number}, article "
                                               f"{line_data.sku}): the later row wins"))
            lines[line_data.sku] = (row.line, line_data)
        last = posting_rows[-1].posting
        data = last if len(posting_rows) == 1 else replace(last, lines=tuple(item for _line, item in lines.values()))
        report.postings.append(ReportPosting(data=data, lines=tuple(r.line for r in posting_rows)))
    report.rejected.sort()

