"""The claim dossier download: a ZIP with summary.pdf, timeline.csv and the evidence files, ready for a carrier.

The PDF is read back with pypdf: the order, the timeline with raw codes and both clocks, the public
conversation in Russian and Chinese, never an internal note.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import MessageFactory, TrackingEventFactory
from tests.tickets.claims_world import (
    CERTIFICATE_BYTES,
    INTERNAL_NOTE,
    INVOICE_BYTES,
    attach,
    make_claim,
    make_world,
)
from tickets.dossier.archive import safe_name
from tickets.models import EvidenceKind, Message


def download(client, claim):
    response = client.get(reverse("desk:claim-dossier", args=[claim.pk]))
    assert response.status_code == 200
    return response, zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def pdf_text(archive: zipfile.ZipFile) -> str:
    reader = PdfReader(io.BytesIO(archive.read("summary.pdf")))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def world(shop, desk_agent):
    return make_world(shop, desk_agent)


def test_the_download_is_a_zip_attachment_with_nosniff(client, desk_agent, world):
    claim = make_claim(world)
    client.force_login(desk_agent)

    response, archive = download(client, claim)

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"claim-{claim.pk}-{world.ticket.reference}-dossier.zip" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert archive.testzip() is None


def test_the_zip_holds_the_summary_the_timeline_and_the_evidence_bytes(client, desk_agent, world):
    client.force_login(desk_agent)

    _, archive = download(client, make_claim(world))

    assert sorted(archive.namelist()) == [
        "evidence/01-счёт_4500.pdf", "evidence/02-акт_об_утрате.png", "summary.pdf", "timeline.csv",
    ]
    assert archive.read("evidence/01-счёт_4500.pdf") == INVOICE_BYTES
    assert archive.read("evidence/02-акт_об_утрате.png") == CERTIFICATE_BYTES
    assert b"do not send" not in b"".join(archive.read(name) for name in archive.namelist())  # the note's own file


def test_the_summary_has_the_order_parcel_timeline_and_public_conversation(client, desk_agent, world):
    client.force_login(desk_agent)

    text = pdf_text(download(client, make_claim(world))[1])

    for expected in (
        world.order.order_number, world.order.posting_number, "4 500.00 RUB", "2026-11-12", "Иван Петров",
        "ул. Тверская, д. 1, кв. 5", "Чехол для телефона", "蓝牙耳机", "RB123456785GB", "Почта России",
        "Посылка не пришла. 包裹还没到，请帮忙。", "Мы открыли расследование у перевозчика.",
        "Internal notes of the support team are not included.", "evidence/01-счёт_4500.pdf", "../счёт 4500.pdf",
        hashlib.sha256(INVOICE_BYTES).hexdigest()[:30],
    ):
        assert expected in text, expected
    # every tracking event, with its raw code and text, in UTC and in the shop's time (Moscow, UTC+3)
    for code, description, utc, local in (
        ("1.0", "Приём", "2026-11-02 07:30 UTC", "2026-11-02 10:30"),
        ("8.1", "Обработка", "2026-11-03 07:30 UTC", "2026-11-03 10:30"),
        ("14.2", "Таможенное оформление завершено", "2026-11-04 07:30 UTC", "2026-11-04 10:30"),
    ):
        assert f"{utc} {local} In transit {code} {description}" in text
    assert INTERNAL_NOTE not in text and "internal-only.txt" not in text


def test_a_chinese_buyers_name_is_set_in_the_embedded_font(client, desk_agent, shop):
    world = make_world(shop, desk_agent, buyer_name="王小明")
    client.force_login(desk_agent)

    archive = download(client, make_claim(world))[1]

    assert "Buyer: 王小明" in pdf_text(archive)
    fonts = PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages[0]["/Resources"]["/Font"]
    descriptor = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert "/FontFile2" in descriptor  # embedded TrueType, not a font the reader's machine must have


def test_timeline_csv_has_every_event_with_both_clocks_and_raw_codes(client, desk_agent, world):
    client.force_login(desk_agent)

    rows = list(csv.DictReader(io.StringIO(download(client, make_claim(world))[1].read("timeline.csv").decode("utf-8-sig"))))

    assert [(r["raw_code"], r["raw_description"]) for r in rows] == [
        ("1.0", "Приём"), ("8.1", "Обработка"), ("14.2", "Таможенное оформление завершено"),
    ]
    assert rows[0]["occurred_at_utc"] == "2026-11-02T07:30:00+00:00"
    assert rows[0]["occurred_at_local (Europe/Moscow)"] == "2026-11-02T10:30:00+03:00"
    assert rows[0]["tracking_number"] == "RB123456785GB" and rows[0]["location"] == "Шэньчжэнь 深圳"


def test_a_file_lost_from_storage_is_listed_not_fatal(client, desk_agent, world):
    world.invoice.file.storage.delete(world.invoice.file.name)
    client.force_login(desk_agent)

    archive = download(client, make_claim(world))[1]

    assert [n for n in archive.namelist() if n.startswith("evidence/")] == ["evidence/02-акт_об_утрате.png"]
    assert "missing from storage" in pdf_text(archive)


def test_queries_do_not_grow_with_events_messages_and_files(client, desk_agent, shop):
    small = make_claim(make_world(shop, desk_agent, events=1))
    big_world = make_world(shop, desk_agent, events=3, tracking_number="RA644000001RU")
    for i in range(5):
        TrackingEventFactory(parcel=big_world.parcel, event_key=f"extra-{i}")
        message = MessageFactory(ticket=big_world.ticket, body=f"ещё {i}")
        attach(message, f"photo-{i}.jpg", b"x" * (i + 1), EvidenceKind.PACKAGE_PHOTO)
        MessageFactory(ticket=big_world.ticket, author=desk_agent, body="note", visibility=Message.Visibility.INTERNAL)
    big = make_claim(big_world)
    client.force_login(desk_agent)
    download(client, small)  # warm-up: session, content types

    with CaptureQueriesContext(connection) as few:
        download(client, small)
    with CaptureQueriesContext(connection) as many:
        _, archive = download(client, big)

    assert len([n for n in archive.namelist() if n.startswith("evidence/")]) == 7
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("index", "original", "expected"),
    [
        (1, "../../etc/passwd", "evidence/01-passwd"),
        (2, "C:\\Users\\x\\фото 1.JPG", "evidence/02-фото_1.JPG"),
        (3, "...", "evidence/03-file"),
        (12, "a b<>|?.pdf", "evidence/12-a_b_.pdf"),
    ],
)
def test_evidence_names_in_the_zip_are_safe(index, original, expected):
    assert safe_name(index, original) == expected


def test_images_not_yet_reencoded_or_refused_stay_out_of_the_dossier(client, desk_agent, world):
    from tickets.models import Attachment

    message = world.ticket.messages.filter(visibility=Message.Visibility.PUBLIC).first()
    pending = attach(message, "still-checking.jpg", b"\xff\xd8\xff raw upload with GPS", EvidenceKind.ITEM_PHOTO)
    refused = attach(message, "broken.jpg", b"\xff\xd8\xff broken", EvidenceKind.ITEM_PHOTO)
    Attachment.objects.filter(id=pending.id).update(state=Attachment.State.PENDING)
    Attachment.objects.filter(id=refused.id).update(state=Attachment.State.REJECTED)
    client.force_login(desk_agent)

    _, archive = download(client, make_claim(world))

    names = archive.namelist()
    assert not any("still-checking" in n or "broken" in n for n in names)
    assert any(n.startswith("evidence/") for n in names)  # the ready files are still there
