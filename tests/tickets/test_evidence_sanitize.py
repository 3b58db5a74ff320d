"""The second stage of evidence uploads: a worker re-encodes pending images after commit; until then, and if it
fails, nobody downloads them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from tests.factories import TicketFactory
from tickets.evidence import attachment_sanitize, attachments_resend_pending, evidence_attach, evidence_clean
from tickets.models import Attachment, EvidenceKind, Message, TicketEvent
from tickets.services import message_create
from tickets.tasks import attachment_sanitize_task

pytestmark = pytest.mark.django_db


def _gps_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (55.0, 45.0, 21.0)}
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _attach(ticket, content: bytes, name: str = "box.jpg") -> Attachment:
    message = message_create(ticket=ticket, author=ticket.buyer, body="photos")
    clean = evidence_clean(SimpleUploadedFile(name, content, content_type="image/jpeg"))
    return evidence_attach(message=message, files=[clean], evidence_kind=EvidenceKind.PACKAGE_PHOTO, acting_user=ticket.buyer)[0]


def _download(client, attachment: Attachment):
    client.force_login(attachment.ticket.buyer)
    return client.get(reverse("portal:attachment", args=[attachment.id]))


def test_image_is_pending_and_not_downloadable_until_the_worker_ran(client):
    attachment = _attach(TicketFactory(), _gps_jpeg())  # on-commit work never runs inside this test's transaction

    assert attachment.state == Attachment.State.PENDING
    assert _download(client, attachment).status_code == 404


def test_after_commit_the_worker_reencodes_and_the_download_has_no_gps(client, django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        attachment = _attach(ticket, _gps_jpeg())
        assert Attachment.objects.get(pk=attachment.pk).state == Attachment.State.PENDING  # the task is sent only on commit

    attachment.refresh_from_db()
    response = _download(client, attachment)

    assert attachment.state == Attachment.State.CLEAN and response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(body) == attachment.size
    image = Image.open(io.BytesIO(body))
    assert image.size == (64, 48) and not image.getexif() and b"GPS" not in body and b"PhoneMaker" not in body


def test_the_images_of_one_transaction_go_to_the_worker_in_one_task(django_capture_on_commit_callbacks):
    from unittest import mock

    ticket = TicketFactory()
    message = message_create(ticket=ticket, author=ticket.buyer, body="photos")
    photos = [evidence_clean(SimpleUploadedFile(f"{n}.jpg", _gps_jpeg(), content_type="image/jpeg")) for n in range(3)]
    with mock.patch("tickets.tasks.attachments_sanitize_task.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        first = evidence_attach(message=message, files=photos[:2], evidence_kind=EvidenceKind.PACKAGE_PHOTO, acting_user=ticket.buyer)
        second = evidence_attach(message=message, files=photos[2:], evidence_kind=EvidenceKind.ITEM_PHOTO, acting_user=ticket.buyer)
    delay.assert_called_once_with([attachment.id for attachment in [*first, *second]])


def test_the_batch_task_sanitizes_each_and_skips_the_missing():
    from tickets.tasks import attachments_sanitize_task

    attachment = _attach(TicketFactory(), _gps_jpeg())
    assert attachments_sanitize_task.delay([attachment.id, attachment.id + 1000]).get() == ["clean", "gone"]


def test_the_original_file_is_deleted_when_the_clean_one_replaces_it():
    attachment = _attach(TicketFactory(), _gps_jpeg())
    original = attachment.file.name

    attachment_sanitize(attachment=attachment)

    assert attachment.file.name != original and attachment.file.name.startswith("evidence/")
    assert not attachment.file.storage.exists(original) and attachment.file.storage.exists(attachment.file.name)


def test_sanitizing_twice_changes_nothing():
    attachment = attachment_sanitize(attachment=_attach(TicketFactory(), _gps_jpeg()))
    stored = attachment.file.name

    again = attachment_sanitize_task.delay(attachment.id).get()

    attachment.refresh_from_db()
    assert again == "clean" and attachment.file.name == stored


def test_an_image_that_does_not_decode_is_removed_and_the_case_is_told(client):
    whole = _gps_jpeg(size=(400, 300))
    ticket = TicketFactory()
    attachment = _attach(ticket, whole[: len(whole) // 2], name="half.jpg")

    attachment = attachment_sanitize(attachment=attachment)

    assert attachment.state == Attachment.State.REJECTED and not attachment.file.storage.exists(attachment.file.name)
    notice = ticket.messages.order_by("-id").first()
    assert notice.author is None and notice.visibility == Message.Visibility.PUBLIC and "half.jpg" in notice.body
    assert ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT_REJECTED, new_value="half.jpg").exists()
    assert _download(client, attachment).status_code == 404


def test_the_buyer_sees_the_state_of_each_file_in_the_thread(client):
    ticket = TicketFactory()
    pending = _attach(ticket, _gps_jpeg(), name="pending.jpg")
    ready = attachment_sanitize(attachment=_attach(ticket, _gps_jpeg(), name="ready.jpg"))
    client.force_login(ticket.buyer)

    page = client.get(reverse("portal:case-detail", args=[ticket.id])).content.decode()

    assert f'href="{reverse("portal:attachment", args=[ready.id])}"' in page
    assert f'href="{reverse("portal:attachment", args=[pending.id])}"' not in page
    assert 'data-attachment-state="pending"' in page


def test_pending_attachments_whose_task_was_lost_are_sent_again(time_machine):
    ticket = TicketFactory()
    time_machine.move_to("2026-11-20 10:00Z")
    old = _attach(ticket, _gps_jpeg())
    time_machine.move_to("2026-11-20 10:30Z")
    fresh = _attach(ticket, _gps_jpeg())

    assert attachments_resend_pending() == 1  # eager in tests: the task ran

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == Attachment.State.CLEAN and fresh.state == Attachment.State.PENDING
