from __future__ import annotations

import base64

from webhooks.signing import SECRET_PREFIX, secret_generate, secret_key, sign, verify

# The test vector of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_matches_the_standard_webhooks_vector():
    assert sign(secret=VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY) == VECTOR_SIGNATURE


def test_verify_accepts_the_vector_among_several_signatures_and_refuses_tampering():
    header = f"v1,bm90LXRoaXMtb25l {VECTOR_SIGNATURE}"
    assert verify(secret=VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY, signature_header=header)
    assert not verify(secret=VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP + 1, body=VECTOR_BODY, signature_header=header)
    assert not verify(secret=VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=b'{"test": 1}', signature_header=header)


def test_generated_secrets_are_whsec_with_24_random_bytes():
    first, second = secret_generate(), secret_generate()
    assert first.startswith(SECRET_PREFIX) and first != second
    assert len(secret_key(first)) == 24
    assert base64.b64encode(secret_key(first)).decode() == first.removeprefix(SECRET_PREFIX)
