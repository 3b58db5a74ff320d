"""Build posting reports as the Ozon seller back office exports them (for the import tests and bench/import.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The real report's columns, in its order; the import reads some and ignores the rest.
HEADER = (
    "Номер заказа", "Номер отправления", "Принят в обработку", "Дата отгрузки", "Статус", "Дата доставки",
    "Фактическая дата передачи в доставку", "Сумма отправления", "Код валюты отправления", "Наименование товара", "OZON id",
    "Артикул", "Ваша цена", "Код валюты товара", "Количество", "Стоимость доставки", "Кластер доставки", "Регион доставки",
    "Город доставки", "Способ доставки", "Трек-номер",
)
DEFAULTS = {
    "Принят в обработку": "2026-11-20 10:15:00", "Статус": "Ожидает сборки", "Сумма отправления": "1390.00",
    "Код валюты отправления": "RUB", "Наименование товара": "Электронный конструктор", "OZON id": "358924380",
    "Артикул": "205953", "Ваша цена": "1390.00", "Код валюты товара": "RUB", "Количество": "1",
    "Способ доставки": "Ozon Логистика самостоятельно, Москва",
}


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ';"\n') else value


def report_row(posting: str, **cells: str) -> dict[str, str]:
    row = {**DEFAULTS, "Номер заказа": posting.rsplit("-", 1)[0], "Номер отправления": posting}
    for name, value in cells.items():  # keyword names: "_" for a space ("Трек-номер" as Трек_номер)
        spaced = name.replace("_", " ")
        row[spaced if spaced in HEADER else name.replace("_", "-")] = value
    return row


def report_csv(rows: Iterable[Mapping[str, str]], *, header: tuple[str, ...] = HEADER, bom: bool = True, encoding: str = "utf-8") -> bytes:
    lines = [";".join(header)] + [";".join(_cell(row.get(name, "")) for name in header) for row in rows]
    return ("\ufeff" if bom else "").encode(encoding) + ("\r\n".join(lines) + "\r\n").encode(encoding)
