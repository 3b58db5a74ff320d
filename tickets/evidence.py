"""Evidence uploads (DESIGN §9): type decided by content, images re-encoded without metadata, limits enforced.

Forms call `EvidenceFilesField` (or `evidence_clean` per file) and `evidence_check_case_budget`; the view then
creates the message and calls `evidence_attach`, which stores each file under a random name.

Two stages, so a buyer's upload does not wait for image codecs (benchmark P4): in the request, the cheap checks
(size, magic bytes, the image header: format, dimensions, pixel limit); after commit, a worker decodes the image,
re-encodes it without metadata and swaps the file (`attachment_sanitize`). Until then the attachment is
`pending` and nobody can download it; an image that turns out not to decode is removed and the case is told.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageCms, ImageOps

from tickets.models import Attachment, EvidenceKind, Message, Ticket, TicketEvent
from tickets.notifications import recipient_language
from tickets.services import attachment_add

# 40 MP is more than any phone camera; past it a small file can still need gigabytes to decode.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
_PDF_INFLATE_LIMIT = 64 * 1024 * 1024  # decompressed object streams scanned per PDF, against zip bombs

# Pillow format name, MIME type, save options, and the pixel modes that format can store as they are.
_IMAGE_FORMATS: dict[str, tuple[str, dict[str, Any], frozenset[str]]] = {
    "JPEG": ("image/jpeg", {"quality": 90}, frozenset({"L", "RGB"})),
    "PNG": ("image/png", {}, frozenset({"1", "L", "LA", "RGB", "RGBA", "I;16"})),
    "WEBP": ("image/webp", {"quality": 90}, frozenset({"RGB", "RGBA"})),
}
_JS_KEY = re.compile(rb"/(?:JS|JavaScript)\s*(?:\(|<|\d+\s+\d+\s+R)")  # the key followed by a value
_PDF_NAME = re.compile(rb"/[^\s/()<>\[\]{}%]+")
_OBJECT_STREAM_TYPE = re.compile(rb"/Type\s*/ObjStm\b")
_STREAM_KEYWORD = re.compile(rb"stream\r?\n")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")


@dataclass(frozen=True)
class CleanEvidence:
    original_name: str  # as the user sent it (shown escaped later; never used as a path)
    content: bytes = field(repr=False)  # images: as sent, re-encoded later by `attachment_sanitize`; PDFs: as sent
    content_type: str  # decided by content, never by name or the browser
    needs_reencoding: bool = False  # an image whose pixels have not been decoded and re-encoded yet

    @property
    def size(self) -> int:
        return len(self.content)


def _max_file_bytes() -> int:
    return int(settings.EVIDENCE_MAX_FILE_BYTES)


def _max_files() -> int:
    return int(settings.EVIDENCE_MAX_FILES_PER_MESSAGE)


def _refusal(message: str, code: str, name: str, **params: object) -> ValidationError:
    return ValidationError(message, code=f"evidence_{code}", params={"name": name, **params})


def _clean_name(upload: UploadedFile) -> str:
    # Control characters would break the Content-Disposition header later; everything else is kept.
    name = "".join(ch for ch in upload.name or "" if unicodedata.category(ch) != "Cc").strip()
    return (name or "file")[:255]


def _read_bounded(upload: UploadedFile, name: str) -> bytes:
    """Refuse by the declared size first, then read at most one byte more than allowed (sizes can lie)."""
    limit = _max_file_bytes()
    too_big = _refusal(_("“%(name)s” is larger than %(limit)s."), "too_large", name, limit=filesizeformat(limit))
    if upload.size is not None and upload.size > limit:
        raise too_big
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_big
    if not content:
        raise _refusal(_("“%(name)s” is empty."), "empty", name)
    return content


def _sniff(content: bytes) -> str | None:
    """The Pillow format or "PDF" by magic bytes; None for anything else."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    magic = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"%PDF-": "PDF"}
    return next((kind for prefix, kind in magic.items() if content.startswith(prefix)), None)


def evidence_clean(upload: UploadedFile) -> CleanEvidence:
    """Check one upload and return it safe to store.

    Raises ValidationError (translatable, naming the file) if it is too large or empty, not a JPEG, PNG, WebP
    or PDF by content, an image that does not decode or has too many pixels, a damaged PDF or one with JavaScript.
    """
    name = _clean_name(upload)
    content = _read_bounded(upload, name)
    kind = _sniff(content)
    if kind is None:
        raise _refusal(_("“%(name)s” is not a JPEG, PNG, WebP or PDF file."), "type", name)
    if kind == "PDF":
        _check_pdf(content, name)
        return CleanEvidence(original_name=name, content=content, content_type="application/pdf")
    _probe(content, kind, name)
    return CleanEvidence(original_name=name, content=content, content_type=_IMAGE_FORMATS[kind][0], needs_reencoding=True)


def _image_refusals(name: str) -> tuple[ValidationError, ValidationError]:
    unreadable = _refusal(_("“%(name)s” could not be read as an image; it may be damaged."), "unreadable", name)
    limit = int(getattr(settings, "EVIDENCE_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))
    too_many = _refusal(
        _("“%(name)s” has too many pixels (at most %(limit)s megapixels)."), "too_many_pixels", name, limit=limit // 1_000_000
    )
    return unreadable, too_many


def _probe(content: bytes, kind: str, name: str) -> None:
    """The request-time check: the header parses with only the decoder the magic bytes named, the structure
    verifies (PNG CRCs) and the pixel count is within the limit. Nothing is decoded: under a millisecond."""
    unreadable, too_many = _image_refusals(name)
    limit = int(getattr(settings, "EVIDENCE_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))
    try:
        with Image.open(BytesIO(content), formats=[kind]) as probe:
            if probe.width * probe.height > limit:
                raise too_many
            probe.verify()
    except Image.DecompressionBombError:
        raise too_many from None
    except ValidationError:
        raise
    except Exception:  # hostile input makes Pillow raise many types (OSError, SyntaxError, struct.error, ...)
        raise unreadable from None


def _decode(content: bytes, kind: str, name: str) -> Image.Image:
    """Decode with only the decoder the magic bytes named, after the same checks as at upload."""
    _probe(content, kind, name)
    unreadable, too_many = _image_refusals(name)
    try:
        image = Image.open(BytesIO(content), formats=[kind])
        image.load()
    except Image.DecompressionBombError:
        raise too_many from None
    except Exception:  # truncated or corrupt pixel data only shows when decoding
        raise unreadable from None
    return image


def evidence_reencode(content: bytes, content_type: str, name: str) -> bytes:
    """The image re-encoded from its pixels alone (upright, sRGB, no EXIF/GPS/ICC/text chunks).

    Raises ValidationError (naming the file) if it does not decode or its type is not an image type.
    """
    kind = next((k for k, (mime, _options, _modes) in _IMAGE_FORMATS.items() if mime == content_type), None)
    if kind is None or _sniff(content) != kind:
        raise _refusal(_("“%(name)s” is not a JPEG, PNG, WebP or PDF file."), "type", name)
    return _reencode(content, kind, name)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile before it is stripped, so wide-gamut phone photos keep their colours."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def _reencode(content: bytes, kind: str, name: str) -> bytes:
    """Decode, turn upright, and save a new image built from pixel data only: no EXIF, GPS, ICC or text chunks."""
    _mime, options, modes = _IMAGE_FORMATS[kind]
    with _decode(content, kind, name) as decoded:
        image = _to_srgb(ImageOps.exif_transpose(decoded) or decoded)
        if image.mode not in modes:
            keep_alpha = image.has_transparency_data and "RGBA" in modes
            image = image.convert("RGBA" if keep_alpha else "RGB")
        # A fresh image carries no `info`, so nothing of the original file's metadata can reach the output.
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = BytesIO()
    clean.save(out, format=kind, **options)
    return out.getvalue()



def _decode_names(data: bytes) -> bytes:
    """Undo #xx escapes in names, so /J#53 is seen as /JS."""
    if b"#" not in data:
        return data
    return _PDF_NAME.sub(lambda m: _HEX_ESCAPE.sub(lambda h: bytes([int(h[1], 16)]), m[0]) if b"#" in m[0] else m[0], data)


def _object_streams(content: bytes) -> list[bytes] | None:
    """Inflated object streams (where modern PDFs keep their dictionaries); None if one cannot be inflated."""
    found: list[bytes] = []
    budget = _PDF_INFLATE_LIMIT
    for match in _OBJECT_STREAM_TYPE.finditer(content):
        keyword = _STREAM_KEYWORD.search(content, match.end())
        if keyword is None:
            return None
        filters = _FILTER.search(content, max(content.rfind(b"obj", 0, match.start()), 0), keyword.start())
        if filters is None:
            continue  # stored uncompressed: already part of the plain scan
        if re.sub(rb"[\[\]\s]", b"", filters[1]) != b"/FlateDecode":
            return None
        try:
            inflated = zlib.decompressobj().decompress(memoryview(content)[keyword.end() :], budget)
        except zlib.error:
            return None  # encrypted or damaged: its contents cannot be checked
        budget -= len(inflated)
        if budget <= 0:
            return None
        found.append(inflated)
    return found


def _check_pdf(content: bytes, name: str) -> None:
    """Kept as sent, but only if it looks complete and has no JavaScript anywhere we can see."""
    if b"%%EOF" not in content[-1024:]:
        raise _refusal(_("“%(name)s” is not a complete PDF file; it may be damaged."), "pdf_damaged", name)
    streams = _object_streams(content)
    if streams is None:
        raise _refusal(
            _("“%(name)s” cannot be checked. If it is password-protected, remove the password or attach a screenshot instead."),
            "pdf_unchecked", name,
        )
    if any(_JS_KEY.search(_decode_names(part)) for part in (content, *streams)):
        raise _refusal(
            _("“%(name)s” contains JavaScript, which is not accepted. Print it to a new PDF or attach a screenshot instead."),
            "pdf_javascript", name,
        )



def _help_text() -> str:
    # Crispy-forms reads a field's help text several times per render: one translation per language and limits.
    return _help_text_for(translation.get_language(), _max_files(), _max_file_bytes())


@functools.lru_cache(maxsize=64)
def _help_text_for(language: str | None, count: int, max_bytes: int) -> str:
    return ngettext(
        "JPEG, PNG, WebP or PDF; up to %(count)d file of at most %(size)s.",
        "JPEG, PNG, WebP or PDF; up to %(count)d files of at most %(size)s each.",
        count,
    ) % {"count": count, "size": filesizeformat(max_bytes)}


class EvidenceFilesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files in one input; `clean()` returns `list[CleanEvidence]` (empty if not required).

    Limits are read from settings when cleaning, and every bad file is reported, not only the first.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", EvidenceFilesInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}))
        kwargs.setdefault("help_text", lazy(_help_text, str)())  # lazy: settings may change after import
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CleanEvidence]:
        items = data if isinstance(data, (list, tuple)) else [data]
        uploads = [item for item in items if isinstance(item, UploadedFile)]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > (limit := _max_files()):
            message = _("Attach at most %(count)d files at once.")
            raise ValidationError(message, code="evidence_too_many_files", params={"count": limit})
        cleaned: list[CleanEvidence] = []
        errors: list[ValidationError] = []
        for upload in uploads:
            try:
                cleaned.append(evidence_clean(upload))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


def evidence_check_case_budget(*, ticket: Ticket | None, files: Sequence[CleanEvidence]) -> None:
    """Raises ValidationError if the case's stored attachments plus `files` exceed EVIDENCE_MAX_BYTES_PER_CASE.

    `ticket=None` is a case about to be opened. A soft limit: two uploads at the same moment can each pass.
    """
    limit = int(settings.EVIDENCE_MAX_BYTES_PER_CASE)
    stored = (Attachment.objects.filter(ticket=ticket).aggregate(total=Sum("size"))["total"] or 0) if ticket is not None else 0
    if stored + sum(f.size for f in files) > limit:
        raise ValidationError(
            _("These files do not fit: a case holds at most %(limit)s of evidence, and %(left)s is left."),
            code="evidence_case_budget", params={"limit": filesizeformat(limit), "left": filesizeformat(max(limit - stored, 0))},
        )


class CaseAttachmentsForm(forms.Form):
    """A reply to an existing case with an `attachments` field: the files must fit the case's evidence budget.
    Built with `ticket=`; the desk's and the portal's reply forms share it."""

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("attachments"):
            evidence_check_case_budget(ticket=self.ticket, files=cleaned["attachments"])
        return cleaned


def evidence_attach(
    *, message: Message, files: Sequence[CleanEvidence], evidence_kind: str, acting_user: User | None
) -> list[Attachment]:
    """Store each cleaned file on `message` through `attachment_add` (random storage name, one event per file).

    Raises ValidationError, writing nothing, for an unknown evidence kind. Files written before a rollback stay in storage.
    """
    if evidence_kind not in EvidenceKind.values:
        raise ValidationError(_("Choose what the files show."), code="evidence_kind")
    with transaction.atomic(savepoint=False):  # the one check is done: no savepoint (benchmark P4)
        return [
            attachment_add(
                message=message, upload=ContentFile(f.content, name="evidence"), original_name=f.original_name,
                content_type=f.content_type, evidence_kind=evidence_kind, acting_user=acting_user,
                state=Attachment.State.PENDING if f.needs_reencoding else Attachment.State.CLEAN,
            )
            for f in files
        ]


def _store_clean(attachment: Attachment, content: bytes) -> bool:
    """Swap the pending file for its re-encoded bytes; False if another worker settled it first."""
    old_name = attachment.file.name
    attachment.file.save("evidence", ContentFile(content), save=False)  # a new random name
    settled = Attachment.objects.filter(id=attachment.id, state=Attachment.State.PENDING).update(
        file=attachment.file.name, size=len(content), state=Attachment.State.CLEAN
    )
    attachment.file.storage.delete(attachment.file.name if not settled else old_name)
    return settled == 1


def _refuse_after_upload(attachment: Attachment, reason: ValidationError) -> bool:
    """The image did not decode: remove it, say so in the case's thread and the audit trail."""
    if Attachment.objects.filter(id=attachment.id, state=Attachment.State.PENDING).update(state=Attachment.State.REJECTED, size=0) != 1:
        return False
    attachment.file.storage.delete(attachment.file.name)
    ticket = attachment.ticket
    with translation.override(recipient_language(ticket.buyer, ticket.shop)):
        text = _("%(reason)s It was removed from the case; please send it again.") % {"reason": " ".join(reason.messages)}
    Message.objects.create(ticket=ticket, author=None, body=text)
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ATTACHMENT_REJECTED, new_value=attachment.original_name[:200])
    return True


def attachment_sanitize(*, attachment: Attachment) -> Attachment:
    """Re-encode a pending image and make it downloadable, or remove it if it does not decode.

    Idempotent: a settled attachment is returned as it is, and two workers on the same row settle it once.
    A missing file (deleted meanwhile) is treated like an unreadable one.
    """
    if attachment.state != Attachment.State.PENDING:
        return attachment
    name = attachment.original_name
    try:
        with attachment.file.open("rb") as handle:
            content = evidence_reencode(handle.read(), attachment.content_type, name)
    except (FileNotFoundError, ValidationError) as problem:
        refusal = problem if isinstance(problem, ValidationError) else _image_refusals(name)[0]
        with transaction.atomic():
            _refuse_after_upload(attachment, refusal)
    else:
        _store_clean(attachment, content)
    attachment.refresh_from_db()
    return attachment


def attachments_resend_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Send sanitising tasks again for pending attachments whose task was lost (broker restart, killed worker)."""
    from tickets.tasks import attachment_sanitize_task

    cutoff = timezone.now() - older_than
    ids = list(Attachment.objects.filter(state=Attachment.State.PENDING, created_at__lt=cutoff).values_list("id", flat=True)[:1000])
    for attachment_id in ids:
        attachment_sanitize_task.delay(attachment_id)
    return len(ids)
