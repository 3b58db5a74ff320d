"""`Idempotency-Key` on POST: the first response again for the same key and body; 422 for the same key, other body.

The record is inserted in the same transaction as the work it guards, so a concurrent duplicate blocks on
the unique constraint until the first commits (then replays it) or rolls back (then runs itself). Server
errors, conflicts and throttling are not kept, so a retry after them runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from api.access import principal
from api.errors import PROBLEM_CONTENT_TYPE
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_NOT_KEPT = frozenset({409, 429})
V = TypeVar("V", bound=APIView)


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return "sha256:" + digest.hexdigest()


def _storable(value: Any) -> Any:
    """The body as PostgreSQL's jsonb can keep it: NUL, which error messages may echo from the input, becomes U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    """sha256 over method, path and the parsed body (files by their content), independent of key order and boundaries."""
    data = request.data
    if hasattr(data, "getlist"):
        body: Any = {key: [_file_digest(v) if isinstance(v, UploadedFile) else v for v in data.getlist(key)] for key in data}
    else:
        body = data
    files = {key: [_file_digest(f) for f in request.FILES.getlist(key)] for key in request.FILES}
    text = json.dumps([request.method, request.path, body, files], sort_keys=True, cls=encoders.JSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(owner: str, key: str, digest: str, now: dt.datetime, expires: dt.datetime) -> bool:
    """Insert the record unless (owner, key) has one; True if inserted.

    ON CONFLICT DO NOTHING instead of an INSERT in a savepoint: two statements fewer per request. On PostgreSQL
    it waits, as the plain INSERT does, for a concurrent transaction that inserted the same key to end.
    """
    meta, ops = IdempotencyRecord._meta, connection.ops
    table, pk = ops.quote_name(meta.db_table), ops.quote_name(meta.pk.column)
    columns = {f.name: ops.quote_name(f.column) for f in meta.concrete_fields}
    owner_col, key_col, *rest = (columns[f] for f in ("owner", "key", "fingerprint", "created_at", "expires_at"))
    sql = (f"INSERT INTO {table} ({owner_col}, {key_col}, {', '.join(rest)}) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608 (names from _meta)
           f"ON CONFLICT ({owner_col}, {key_col}) DO NOTHING RETURNING {pk}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner, key, digest, ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(expires)])
        return cursor.fetchone() is not None


def _claim(owner: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Insert the record; None if it is ours, else the one stored before (an expired one is replaced)."""
    now = timezone.now()
    expires = now + dt.timedelta(hours=int(settings.API_IDEMPOTENCY_HOURS))
    for _attempt in range(2):
        if _insert(owner, key, digest, now, expires):
            return None
        stored = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if stored is not None and stored.expires_at >= now:
            return stored
        IdempotencyRecord.objects.filter(owner=owner, key=key, expires_at__lt=now).delete()
    raise exceptions.APIException(_("This Idempotency-Key is in use by a request still running; retry later."))


def _replay(stored: IdempotencyRecord, digest: str) -> Response:
    if stored.fingerprint != digest:
        error = exceptions.APIException(_("This Idempotency-Key was used with another request body; use a new key."))
        error.status_code = 422
        raise error
    if stored.status_code is None:
        error = exceptions.APIException(_("A request with this Idempotency-Key is still running; retry later."))
        error.status_code = 409
        raise error
    content_type = PROBLEM_CONTENT_TYPE if stored.status_code >= 400 else None
    return Response(stored.body, status=stored.status_code, headers={"Idempotent-Replayed": "true"}, content_type=content_type)


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a view's `post`. Without the header the request simply runs."""

    @wraps(handler)
    def wrapper(view: V, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not all("!" <= ch <= "~" for ch in key):
            raise exceptions.ValidationError({HEADER: [_("Use 1 to 255 visible ASCII characters.")]})
        owner, digest = principal(request).owner_key, fingerprint(request)
        with transaction.atomic():
            stored = _claim(owner, key, digest)
            if stored is not None:
                return _replay(stored, digest)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # re-raises what becomes a 500: the record rolls back with it
            if response.status_code >= 500 or response.status_code in _NOT_KEPT:
                transaction.set_rollback(True)
                return response
            body = _storable(json.loads(json.dumps(response.data, cls=encoders.JSONEncoder)))
            IdempotencyRecord.objects.filter(owner=owner, key=key).update(status_code=response.status_code, body=body)
        return response

    return wrapper
