"""Tokens kept per process (api.token_cache): no query for a known token, and every change that matters is seen at once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken
from api.services import token_hash, token_revoke
from api.token_cache import token_by_hash
from orders.models import ShopMembership

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the memo is renewed on commit


def token_queries(api) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/carriers").status_code in (200, 401)
    return sum('FROM "api_apitoken"' in query["sql"] for query in captured.captured_queries)


def test_a_known_token_is_not_read_again(shared_cache, api):
    assert token_queries(api) == 1
    assert token_queries(api) == 0
    assert api.get("/api/v1/carriers").status_code == 200


def test_revoking_is_seen_by_the_next_request(shared_cache, api, token_pair, shop_owner):
    assert api.get("/api/v1/carriers").status_code == 200
    token_revoke(token=token_pair[0], acting_user=shop_owner)
    assert api.get("/api/v1/carriers").status_code == 401


def test_deleting_the_token_is_seen_by_the_next_request(shared_cache, api, token_pair):
    assert api.get("/api/v1/carriers").status_code == 200
    ApiToken.objects.get(pk=token_pair[0].pk).delete()
    assert api.get("/api/v1/carriers").status_code == 401


def test_a_deactivated_creator_is_seen_by_the_next_request(shared_cache, api, shop_owner):
    assert api.get("/api/v1/carriers").status_code == 200
    shop_owner.is_active = False
    shop_owner.save()
    assert api.get("/api/v1/carriers").status_code == 401


@pytest.mark.parametrize("change", ["role", "removal"])
def test_a_creator_who_leaves_the_shop_is_seen_by_the_next_request(shared_cache, api, shop, shop_owner, change):
    assert api.get("/api/v1/carriers").status_code == 200
    membership = ShopMembership.objects.get(shop=shop, user=shop_owner)
    if change == "role":
        membership.role = ShopMembership.Role.AGENT
        membership.save()
    else:
        membership.delete()
    assert api.get("/api/v1/carriers").status_code == 401


def test_a_sign_in_elsewhere_does_not_make_every_process_read_tokens_again(shared_cache, api, shop_owner):
    assert token_queries(api) == 1
    shop_owner.last_login = timezone.now()
    shop_owner.save(update_fields=["last_login"])  # what every sign-in does
    assert token_queries(api) == 0


def test_every_caller_gets_copies_of_its_own(shared_cache, token_pair):
    first, second = (token_by_hash(token_hash(token_pair[1])) for _ in range(2))
    assert first is not second and first.created_by is not second.created_by and first.shop is not second.shop
    assert first.pk == second.pk and first.created_by.pk == second.created_by.pk and first.creator_is_staff is True
    first.created_by._perm_cache = {"anything"}  # what Django's permission checks leave on a user
    assert not hasattr(token_by_hash(token_hash(token_pair[1])).created_by, "_perm_cache")


def test_an_api_request_reads_the_config_tokens_it_needs_in_its_first_round_trip(shared_cache, api, order, monkeypatch):
    body = {"order": order.id, "kind": "other", "subject": "Where is it?", "body": "Hello"}
    for _ in range(2):  # this process now keeps memos of the token and of the shop's routing and subscriptions
        assert api.post("/api/v1/cases", body).status_code == 201
    cache = caches["default"]
    reads = []
    monkeypatch.setattr(cache, "get_many", lambda keys, **kw: reads.append(sorted(keys)) or type(cache).get_many(cache, keys, **kw))
    assert api.post("/api/v1/cases", body).status_code == 201
    assert len(reads) == 1  # config_cache reads tokens with get_many: once, with the throttle counters
    assert {"config-version:api.tokens", "config-version:tickets.routing", "config-version:webhooks.subscriptions"} <= set(reads[0])


def test_last_use_is_still_written_at_most_once_a_minute(shared_cache, api, token_pair):
    def touches() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/carriers").status_code == 200
        return sum(query["sql"].startswith('UPDATE "api_apitoken"') for query in captured.captured_queries)

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert touches() == 1  # the kept token says "never used"
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert touches() == 0
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert touches() == 1
    with time_machine.travel(start + dt.timedelta(seconds=62), tick=False):
        assert touches() == 0  # though the kept token still says "never used"
    assert ApiToken.objects.get(pk=token_pair[0].pk).last_used_at == start + dt.timedelta(seconds=61)
