"""P6: importing Ozon's FBS posting report, 100,000 CSV rows, on PostgreSQL (target ≤ 30 s).

Usage: .venv/bin/python bench/import.py [--rows 100000]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_import).

Generates a report in the real format (UTF-8 with BOM, ';', the back office's Russian headers and
column order, one row per product: ~80 % of postings have one product, the rest two or three) with
Ozon Логистика, Russian Post and CDEK postings in every status. The shop's earlier orders are
removed first, so the timed run creates everything; then the same file is imported again
(everything unchanged), timed too. Both go through `manage.py import_postings` as staff run it.
Last line: P6 rows=<n> seconds=<s> (the first, creating import).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import machine, peak_rss_mb, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_import"
STATUSES = ["Ожидает сборки", "Ожидает отгрузки", "Доставляется", "Доставлен", "Отменён", "Арбитраж"]
CARRIERS = [  # (code, name, adapter, formats)
    ("ozon-logistics", "Ozon Логистика", "manual", ["ozon_posting"]),
    ("russian-post", "Почта России", "russian_post", ["russian_post_14", "s10"]),
    ("cdek", "СДЭК", "cdek", ["cdek"]),
]


def prepare_shop() -> object:
    from django.db import connection

    from logistics.models import Carrier
    from orders.models import Shop

    for code, name, adapter, formats in CARRIERS:
        Carrier.objects.update_or_create(code=code, defaults={"name": name, "adapter": adapter, "number_formats": formats})
    shop, _ = Shop.objects.get_or_create(slug="bench-p6", defaults={"name": "Bench P6"})
    with connection.cursor() as cursor:  # this database is the benchmark's own: start from no orders
        cursor.execute("TRUNCATE orders_order, logistics_trackingnumberchange RESTART IDENTITY CASCADE")
    return shop


def generate(rows: int, seed: int = 6) -> bytes:
    from logistics.tracking_numbers import make_russian_post_14
    from tests.marketplace.report_csv import report_csv, report_row

    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    n = 0
    while len(out) < rows:
        n += 1
        posting = f"{10_000_000 + n}-{rng.randint(1, 999):04d}-1"
        status = rng.choice(STATUSES)
        kind = rng.random()
        cells = {"Статус": status, "Принят_в_обработку": f"2026-11-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:15:00",
                 "Город_доставки": rng.choice(["Москва", "Казань", "Екатеринбург", "Новосибирск"])}
        if kind < 0.6:
            cells["Способ_доставки"] = "Ozon Логистика самостоятельно, Москва"
        elif kind < 0.85:
            cells |= {"Способ_доставки": "Почта России", "Трек_номер": make_russian_post_14(f"{80000000000 + n:013d}")}
        else:
            cells |= {"Способ_доставки": "СДЭК", "Трек_номер": f"{1_500_000_000 + n}"}
        if status == "Доставлен":
            cells["Дата_доставки"] = "2026-11-29 12:00:00"
        products = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        for p in range(products):
            price = rng.randint(100, 9000)
            out.append(report_row(posting, Артикул=f"ART-{rng.randint(1, 5000)}-{p}", Ваша_цена=f"{price},00",
                                  Сумма_отправления=f"{price * products},00", Количество=str(rng.randint(1, 3)), **cells))
    return report_csv(out[:rows])


def timed_import(path: Path, shop_slug: str) -> tuple[float, str]:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    call_command("import_postings", str(path), "--shop", shop_slug, stdout=out)
    seconds = time.perf_counter() - started
    summary = out.getvalue().strip().splitlines()[-1]
    return seconds, f"{summary} · this process used {time.process_time() - cpu:.1f} s of CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    from logistics.models import Parcel
    from orders.models import Order, OrderLine

    shop = prepare_shop()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "postings.csv"
        path.write_bytes(generate(args.rows))
        print(f"machine: {machine()}")
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB")
        first, first_summary = timed_import(path, shop.slug)  # type: ignore[attr-defined]
        print(f"first import (creates): {first:.2f} s · {first_summary}")
        print(f"rows now: {Order.objects.count()} orders, {OrderLine.objects.count()} lines, {Parcel.objects.count()} parcels")
        second, second_summary = timed_import(path, shop.slug)  # type: ignore[attr-defined]
        print(f"second import (same file): {second:.2f} s · {second_summary}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    print(f"P6 rows={args.rows} seconds={first:.2f}")


if __name__ == "__main__":
    main()
