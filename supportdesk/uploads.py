"""Django's upload handlers, reading the request body in 1 MiB pieces instead of 64 KiB.

Evidence photos are 1-10 MB. Under gunicorn every read of the body copies what its reader holds ahead
(gunicorn.http.unreader: the rest of the buffer is rewritten after each read), so a 2 MB body read 64 KiB at a
time copies ~32 MB: ~4 ms of a worker's CPU per case with two photos, ~1.5 ms at 1 MiB (bench/portal.py). Fewer
pieces also mean fewer turns of Django's multipart parser loop. Memory per upload stays bounded by the chunk.
"""

from __future__ import annotations

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

UPLOAD_CHUNK_BYTES = 1024 * 1024


class MemoryFileUploadHandler1M(MemoryFileUploadHandler):
    chunk_size = UPLOAD_CHUNK_BYTES


class TemporaryFileUploadHandler1M(TemporaryFileUploadHandler):
    chunk_size = UPLOAD_CHUNK_BYTES
