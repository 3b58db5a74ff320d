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


def _insert(owner: str, key: str, digest: str, now: dt.datetime, expires: dt.datetime) -> int | None:
    """Insert the record unless (owner, key) has one; its id if inserted.

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
        row = cursor.fetchone()
        return None if row is None else int(row[0])


def _keep(record_id: int, status_code: int, body: Any) -> None:
    """Store the response on the claimed record: one UPDATE by id, written by hand like _insert (the ORM's UPDATE
    and its compiling were ~8 % of the CPU of an API create, benchmark P5)."""
    meta, ops = IdempotencyRecord._meta, connection.ops
    status_field, body_field = meta.get_field("status_code"), meta.get_field("body")
    sql = (f"UPDATE {ops.quote_name(meta.db_table)} SET {ops.quote_name(status_field.column)} = %s, "  # noqa: S608 (names from _meta)
           f"{ops.quote_name(body_field.column)} = %s WHERE {ops.quote_name(meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [status_code, body_field.get_db_prep_save(body, connection), record_id])


def _claim(owner: str, key: str, digest: str) -> int | IdempotencyRecord:
    """Insert the record and return its id, or return the one stored before (an expired one is replaced)."""
    now = timezone.now()
    expires = now + dt.timedelta(hours=int(settings.API_IDEMPOTENCY_HOURS))
    for _attempt in range(2):
        record_id = _insert(owner, key, digest, now, expires)
        if record_id is not None:
            return record_id
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
            claimed = _claim(owner, key, digest)
            if isinstance(claimed, IdempotencyRecord):
                return _replay(claimed, digest)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # re-raises what becomes a 500: the record rolls back with it
            if response.status_code >= 500 or response.status_code in _NOT_KEPT:
                transaction.set_rollback(True)
                return response
            _keep(claimed, response.status_code, _storable(json.loads(json.dumps(response.data, cls=encoders.JSONEncoder))))
        return response

    return wrapper
