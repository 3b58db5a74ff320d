"""What the portal case tests share: files, URLs, a case POST."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tickets.models import Ticket

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def jpeg(name: str = "photo.jpg", color: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def create_url(order, parcel=None, kind: str | None = None) -> str:
    params = {"order": order.id}
    if parcel is not None:
        params["parcel"] = parcel.id
    if kind:
        params["kind"] = kind
    return f"{reverse('portal:case-create')}?{urlencode(params)}"


def detail_url(ticket: Ticket) -> str:
    return reverse("portal:case-detail", args=[ticket.pk])


def reply_url(ticket: Ticket) -> str:
    return reverse("portal:case-reply", args=[ticket.pk])



def post_case(client, order, parcel, kind: str, **data):
    payload = {"subject": "Help", "body": "Please help", **data}
    return client.post(create_url(order, parcel, kind), payload)

