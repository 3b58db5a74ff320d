from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from api.services import token_create, token_hash, token_revoke

pytestmark = pytest.mark.django_db


def test_token_secret_is_random_prefixed_and_stored_hashed(shop, shop_owner):
    (first, secret1), (_second, secret2) = (token_create(shop=shop, name=n, acting_user=shop_owner) for n in "ab")
    assert secret1 != secret2 and secret1.startswith("sdk_")
    assert first.key_hash == token_hash(secret1) and len(first.key_hash) == 64


def test_only_shop_staff_or_superusers_create_tokens(shop, agent, superuser):
    with pytest.raises(ValidationError):
        token_create(shop=shop, name="x", acting_user=agent)  # agents serve the shop; they do not own it
    assert token_create(shop=shop, name="x", acting_user=superuser)[0].pk


def test_revoke_keeps_the_first_time(shop, shop_owner):
    token, _secret = token_create(shop=shop, name="x", acting_user=shop_owner)
    first = token_revoke(token=token, acting_user=shop_owner).revoked_at
    assert token_revoke(token=token, acting_user=shop_owner).revoked_at == first


def test_invalid_scope_is_refused(shop, shop_owner):
    with pytest.raises(ValidationError):
        token_create(shop=shop, name="x", scope="admin", acting_user=shop_owner)


def test_purge_task_deletes_expired_keys(api, order):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from api.models import IdempotencyRecord
    from api.tasks import api_purge_idempotency_records_task

    api.post("/api/v1/cases", {"order": order.id, "kind": "other", "subject": "s", "body": "b"}, headers={"Idempotency-Key": "k1"})
    assert api_purge_idempotency_records_task.delay().get() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert api_purge_idempotency_records_task.delay().get() == 1
    assert not IdempotencyRecord.objects.exists()
