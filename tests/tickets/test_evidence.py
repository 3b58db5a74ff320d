"""Evidence uploads: type by content, metadata stripped, limits enforced, stored under random names."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from tests.factories import TicketFactory
from tickets.evidence import (
    CleanEvidence,
    EvidenceFilesField,
    evidence_attach,
    evidence_check_case_budget,
    evidence_clean,
    evidence_reencode,
)
from tickets.models import Attachment, EvidenceKind, TicketEvent
from tickets.services import attachment_add, message_create

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def _image(fmt: str, size: tuple[int, int] = (40, 20), mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt, **save)
    return out.getvalue()


def _upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (55.0, 45.0, 21.0)}
    return exif


def _stored(upload: SimpleUploadedFile) -> tuple[CleanEvidence, bytes]:
    """Both stages: the request's checks, then the worker's re-encoding (what ends up downloadable)."""
    clean = evidence_clean(upload)
    return clean, evidence_reencode(clean.content, clean.content_type, clean.original_name)


def _refusal(upload: SimpleUploadedFile) -> str:
    with pytest.raises(ValidationError) as exc:
        evidence_clean(upload)
    return " ".join(exc.value.messages)


def test_jpeg_with_gps_exif_comes_back_without_any_exif():
    sent = _image("JPEG", exif=_gps_exif())
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry GPS

    clean, stored = _stored(_upload(sent, content_type="text/plain"))

    assert clean.content_type == "image/jpeg" and clean.needs_reencoding
    image = Image.open(io.BytesIO(stored))
    image.load()
    assert image.format == "JPEG" and image.size == (40, 20)
    assert not image.getexif() and "exif" not in image.info
    assert b"GPS" not in stored and b"PhoneMaker" not in stored


def test_exif_orientation_is_applied_before_it_is_stripped():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: turn 90° clockwise to view
    _clean, stored = _stored(_upload(_image("JPEG", size=(40, 20), exif=exif)))
    image = Image.open(io.BytesIO(stored))
    assert image.size == (20, 40)
    assert not image.getexif()


def test_png_loses_its_text_chunks_and_colour_profile():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home address: Tverskaya 1")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    clean, stored = _stored(_upload(_image("PNG", mode="RGBA", pnginfo=text, icc_profile=icc), name="box.png"))
    image = Image.open(io.BytesIO(stored))
    assert clean.content_type == "image/png" and image.mode == "RGBA"
    assert not getattr(image, "text", {}) and "icc_profile" not in image.info
    assert b"tEXt" not in stored and b"Tverskaya" not in stored


@pytest.mark.parametrize(("fmt", "mode", "stored_as"), [("PNG", "P", "RGB"), ("PNG", "LA", "LA"), ("JPEG", "CMYK", "RGB")])
def test_pixel_modes_are_converted_only_when_the_format_needs_it(fmt, mode, stored_as):
    image = Image.open(io.BytesIO(_stored(_upload(_image(fmt, mode=mode)))[1]))
    assert image.format == fmt and image.mode == stored_as and image.size == (40, 20)


def test_webp_is_accepted_and_stripped():
    clean, stored = _stored(_upload(_image("WEBP", exif=_gps_exif()), name="item.webp"))
    image = Image.open(io.BytesIO(stored))
    image.load()
    assert clean.content_type == "image/webp" and image.format == "WEBP"
    assert not image.getexif() and b"GPS" not in stored


def test_request_stage_keeps_the_image_as_sent_for_the_worker():
    sent = _image("JPEG", exif=_gps_exif())
    clean = evidence_clean(_upload(sent))
    assert clean.content == sent and clean.needs_reencoding  # never downloadable in this state (see the pending tests)


def test_truncated_jpeg_passes_the_header_check_but_not_the_reencoding():
    sent = _image("JPEG", size=(400, 300))
    clean = evidence_clean(_upload(sent[: len(sent) // 2], name="half.jpg"))
    with pytest.raises(ValidationError, match="half.jpg"):
        evidence_reencode(clean.content, clean.content_type, clean.original_name)


def test_pdf_is_kept_as_sent():
    clean = evidence_clean(_upload(PDF, name="invoice.pdf", content_type="image/png"))
    assert clean == CleanEvidence(original_name="invoice.pdf", content=PDF, content_type="application/pdf")


@pytest.mark.parametrize(
    "marker",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/Names << /JavaScript 5 0 R >>",
        b"/AA << /O << /S /JavaScript /J#53 <6170702e616c65727428312929> >> >>",  # name escape hides /JS
    ],
)
def test_pdf_with_javascript_is_refused(marker):
    pdf = PDF.replace(b"/Pages 2 0 R", b"/Pages 2 0 R " + marker)
    assert "invoice.pdf" in _refusal(_upload(pdf, name="invoice.pdf"))


def test_pdf_with_javascript_inside_an_object_stream_is_refused():
    hidden = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    pdf = PDF.replace(
        b"trailer",
        b"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >> stream\n%b\nendstream endobj\ntrailer"
        % (len(hidden), hidden),
    )
    assert "JavaScript" in _refusal(_upload(pdf, name="invoice.pdf"))


def test_pdf_whose_object_stream_cannot_be_read_is_refused():
    pdf = PDF.replace(b"trailer", b"4 0 obj << /Type /ObjStm /Filter /FlateDecode >> stream\nnot zlib\nendstream endobj\ntrailer")
    assert "cannot be checked" in _refusal(_upload(pdf, name="locked.pdf"))


def test_truncated_pdf_is_refused():
    assert "not a complete PDF" in _refusal(_upload(PDF[:60], name="cut.pdf"))


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
)
def test_non_evidence_types_named_png_are_refused_with_the_file_name(content):
    message = _refusal(_upload(content, name="innocent.png", content_type="image/png"))
    assert "innocent.png" in message and "not a JPEG, PNG, WebP or PDF" in message


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"\xff\xd8\xff\xe0" + bytes(range(200)) * 3])
def test_bytes_that_do_not_decode_are_refused(content):
    assert "fake.jpg" in _refusal(_upload(content, name="fake.jpg"))


def test_empty_file_is_refused():
    assert "is empty" in _refusal(_upload(b"", name="nothing.jpg"))


class _Unreadable(io.BytesIO):
    def read(self, *args: object) -> bytes:
        raise AssertionError("the file was read before its size was checked")


def test_oversized_file_is_refused_before_it_is_read(settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    upload = InMemoryUploadedFile(_Unreadable(), None, "huge.jpg", "image/jpeg", 5000, None)
    assert "huge.jpg" in _refusal(upload) and "larger than" in _refusal(upload)


def test_file_larger_than_it_claims_is_refused(settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    upload = InMemoryUploadedFile(io.BytesIO(PDF * 20), None, "liar.pdf", "application/pdf", 10, None)
    assert "larger than" in _refusal(upload)


def test_image_with_too_many_pixels_is_refused():
    bomb = _image("PNG", size=(10_000, 5_000), mode="1")  # 50 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    assert "too many pixels" in _refusal(_upload(bomb, name="bomb.png"))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_decompression_bomb_header_is_refused_without_decoding():
    assert "too many pixels" in _refusal(_upload(_png_header_only(100_000, 100_000), name="bomb.png"))


def test_pixel_limit_follows_settings(settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 100
    assert "too many pixels" in _refusal(_upload(_image("JPEG", size=(20, 20))))


def test_original_name_is_kept_but_bounded_and_free_of_control_characters():
    clean = evidence_clean(_upload(PDF, name="счёт\r\n" + "x" * 300 + ".pdf"))
    assert clean.original_name.startswith("счёт") and "\n" not in clean.original_name
    assert len(clean.original_name) <= 255


class _EvidenceForm(forms.Form):
    files = EvidenceFilesField(required=False)


def _form(*uploads: SimpleUploadedFile) -> _EvidenceForm:
    return _EvidenceForm(data={}, files=MultiValueDict({"files": list(uploads)}))


def test_field_cleans_several_files_into_clean_evidence():
    form = _form(_upload(_image("JPEG")), _upload(PDF, name="invoice.pdf"))
    assert form.is_valid(), form.errors
    assert [f.content_type for f in form.cleaned_data["files"]] == ["image/jpeg", "application/pdf"]


def test_field_accepts_no_files_when_optional_and_requires_them_otherwise():
    form = _form()
    assert form.is_valid() and form.cleaned_data["files"] == []
    with pytest.raises(ValidationError):
        EvidenceFilesField().clean([])


def test_field_refuses_too_many_files(settings):
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 2
    form = _form(*(_upload(PDF, name=f"{n}.pdf") for n in range(3)))
    assert not form.is_valid()
    assert "at most 2 files" in form.errors["files"][0]


def test_field_reports_every_bad_file():
    form = _form(_upload(b"<svg/>", name="a.png"), _upload(PDF, name="ok.pdf"), _upload(b"<html>", name="b.png"))
    assert not form.is_valid()
    assert ["a.png" in e or "b.png" in e for e in form.errors["files"]] == [True, True]


def test_field_widget_and_help_text_state_the_limits(settings):
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 4
    settings.EVIDENCE_MAX_FILE_BYTES = 5 * 1024 * 1024
    field = _EvidenceForm().fields["files"]
    assert field.widget.allow_multiple_selected and "image/webp" in field.widget.attrs["accept"]
    assert str(field.help_text) == "JPEG, PNG, WebP or PDF; up to 4 files of at most 5.0\xa0MB each."
    assert "multiple" in str(_EvidenceForm()["files"])


def _evidence(size: int) -> CleanEvidence:
    return CleanEvidence(original_name="scan.pdf", content=b"x" * size, content_type="application/pdf")


@pytest.mark.django_db
def test_case_budget_counts_stored_attachments(settings):
    settings.EVIDENCE_MAX_BYTES_PER_CASE = 1000
    ticket = TicketFactory()
    message = message_create(ticket=ticket, author=ticket.buyer, body="photos")
    attachment_add(message=message, upload=ContentFile(b"x" * 600), original_name="a.pdf", content_type="application/pdf",
                   acting_user=ticket.buyer)
    evidence_check_case_budget(ticket=ticket, files=[_evidence(400)])
    with pytest.raises(ValidationError) as exc:
        evidence_check_case_budget(ticket=ticket, files=[_evidence(300), _evidence(101)])
    assert "at most 1000" in exc.value.messages[0]


def test_case_budget_for_a_new_case(settings):
    settings.EVIDENCE_MAX_BYTES_PER_CASE = 1000
    evidence_check_case_budget(ticket=None, files=[_evidence(1000)])
    with pytest.raises(ValidationError):
        evidence_check_case_budget(ticket=None, files=[_evidence(1001)])


@pytest.mark.django_db
def test_evidence_attach_stores_files_under_random_names_with_events():
    ticket = TicketFactory()
    message = message_create(ticket=ticket, author=ticket.buyer, body="the box was crushed")
    files = [evidence_clean(_upload(_image("JPEG"), name="../../box.jpg")), evidence_clean(_upload(PDF, name="invoice.pdf"))]

    kind = EvidenceKind.PACKAGE_PHOTO
    attachments = evidence_attach(message=message, files=files, evidence_kind=kind, acting_user=ticket.buyer)

    assert [a.original_name for a in attachments] == ["box.jpg", "invoice.pdf"]
    for attachment, sent in zip(attachments, files, strict=True):
        assert attachment.file.name.startswith("evidence/") and "box" not in attachment.file.name
        assert "invoice" not in attachment.file.name and not attachment.file.name.endswith((".jpg", ".pdf"))
        assert (attachment.ticket, attachment.message, attachment.uploaded_by) == (ticket, message, ticket.buyer)
        assert attachment.content_type == sent.content_type and attachment.size == sent.size
        with attachment.file.open("rb") as stored:
            assert stored.read() == sent.content
    assert Attachment.objects.filter(ticket=ticket).count() == 2
    assert ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT_ADDED, new_value=kind).count() == 2


@pytest.mark.django_db
def test_evidence_attach_refuses_an_unknown_kind():
    ticket = TicketFactory()
    message = message_create(ticket=ticket, author=ticket.buyer, body="hello")
    with pytest.raises(ValidationError):
        evidence_attach(message=message, files=[_evidence(10)], evidence_kind="selfie", acting_user=ticket.buyer)
    assert not Attachment.objects.exists()
