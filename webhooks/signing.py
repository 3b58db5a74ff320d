"""Standard Webhooks signatures (https://www.standardwebhooks.com/): the same scheme Svix and others use.

The signed content is "{msg_id}.{timestamp}.{body}", the key is the base64-decoded part of the
`whsec_` secret, and the header value is "v1," + base64(HMAC-SHA256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 24


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(*, secret: str, msg_id: str, timestamp: int, body: bytes, signature_header: str) -> bool:
    """True if any of the space-separated v1 signatures matches (receivers' side; used in tests and docs)."""
    expected = sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signature_header.split())
