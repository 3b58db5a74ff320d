"""manage.py import_postings and manage.py ozon_sync."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from marketplace.ozon.client import GET_PATH, LIST_PATH
from orders.models import Order
from tests.logistics.carrier_server import CarrierServer, Reply
from tests.marketplace.conftest import payload
from tests.marketplace.report_csv import HEADER, report_csv, report_row


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_postings_prints_rejections_and_a_summary(tmp_path: Path, shop: Any, carriers: Any) -> None:
    path = tmp_path / "postings.csv"
    path.write_bytes(report_csv([report_row("10000001-0001-1"), report_row("10000002-0001-1", Принят_в_обработку="вчера")]))

    out, err = run("import_postings", str(path), "--shop", shop.slug)

    assert "line 3: rejected: «Принят в обработку»: 'вчера' is not a date" in out
    assert "2 rows, 1 postings: 1 created, 0 updated, 0 unchanged; 1 rows rejected" in out
    assert "2/2" in err  # the progress bar reached the end
    assert Order.objects.count() == 1


def test_import_postings_stops_on_a_file_error(tmp_path: Path, shop: Any) -> None:
    path = tmp_path / "postings.csv"
    path.write_bytes(report_csv([report_row("10000001-0001-1")], header=HEADER[2:]))

    with pytest.raises(CommandError, match="Required columns are missing: «Номер заказа», «Номер отправления»"):
        run("import_postings", str(path), "--shop", shop.slug, "--no-progress")


def test_import_postings_needs_a_known_shop_and_a_readable_file(tmp_path: Path, shop: Any) -> None:
    with pytest.raises(CommandError, match="No shop with slug 'nope'"):
        run("import_postings", str(tmp_path / "x.csv"), "--shop", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_postings", str(tmp_path / "x.csv"), "--shop", shop.slug)


def test_ozon_sync_runs_the_sync(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    item = payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")["result"]
    ozon.route("POST", LIST_PATH, Reply(body={"result": {"postings": [item], "has_next": False}}))

    out, _err = run("ozon_sync", "--shop", account.shop.slug)

    assert "1 pages: 1 created, 0 updated, 0 unchanged, 0 skipped" in out


def test_ozon_sync_one_posting(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", GET_PATH, Reply(body=payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")))

    run("ozon_sync", "--shop", account.shop.slug, "--posting", "57195475-0050-3")

    assert Order.objects.get().posting_number == "57195475-0050-3"


def test_ozon_sync_reports_errors_and_unknown_shops(ozon: CarrierServer, account: Any, other_shop: Any) -> None:
    ozon.route("POST", LIST_PATH, Reply(401, body=payload("ozon_error_401_missing_client_id.json")))

    with pytest.raises(CommandError, match="Ozon sync failed: bad Ozon credentials"):
        run("ozon_sync", "--shop", account.shop.slug)
    with pytest.raises(CommandError, match="has no Ozon account"):
        run("ozon_sync", "--shop", other_shop.slug)
