"""The Ozon account admin (write-only key, scoping, sync now) and the posting-report upload page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.models import MarketplaceAccount
from orders.models import Order
from tests.factories import MarketplaceAccountFactory, ShopMembershipFactory, UserFactory
from tests.marketplace.report_csv import report_csv, report_row

IMPORT_URL = "admin:marketplace_import_postings"


@pytest.fixture
def seller(shop: Any) -> Any:
    user = UserFactory(username="seller", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role="staff")
    codenames = ["view_marketplaceaccount", "change_marketplaceaccount", "add_order", "view_order"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_the_api_key_is_never_shown(client: Any, superuser: Any, account: Any) -> None:
    client.force_login(superuser)

    listing = client.get(reverse("admin:marketplace_marketplaceaccount_changelist"))
    form = client.get(reverse("admin:marketplace_marketplaceaccount_change", args=[account.pk]))

    assert listing.status_code == form.status_code == 200
    assert b"836001" in listing.content
    assert b"secret-key-1" not in listing.content
    assert b"secret-key-1" not in form.content


def test_saving_without_a_key_keeps_it_and_a_new_key_replaces_it(client: Any, superuser: Any, account: Any) -> None:
    client.force_login(superuser)
    url = reverse("admin:marketplace_marketplaceaccount_change", args=[account.pk])
    data = {"shop": account.shop.pk, "client_id": "836002", "api_key": "", "is_active": "on"}

    assert client.post(url, data).status_code == 302
    account.refresh_from_db()
    assert (account.client_id, account.api_key) == ("836002", "secret-key-1")

    client.post(url, {**data, "api_key": "new-key-2"})
    account.refresh_from_db()
    assert account.api_key == "new-key-2"


def test_a_new_account_needs_a_key(client: Any, superuser: Any, shop: Any) -> None:
    client.force_login(superuser)

    response = client.post(reverse("admin:marketplace_marketplaceaccount_add"), {"shop": shop.pk, "client_id": "1", "api_key": ""})

    assert response.status_code == 200
    assert b"Enter the Api-Key." in response.content
    assert not MarketplaceAccount.objects.exists()


def test_staff_see_only_their_shops_accounts(client: Any, seller: Any, account: Any, other_shop: Any) -> None:
    theirs = MarketplaceAccountFactory(shop=other_shop)
    client.force_login(seller)

    assert client.get(reverse("admin:marketplace_marketplaceaccount_change", args=[account.pk])).status_code == 200
    assert client.get(reverse("admin:marketplace_marketplaceaccount_change", args=[theirs.pk])).status_code == 302  # "not found"
    assert theirs.client_id.encode() not in client.get(reverse("admin:marketplace_marketplaceaccount_changelist")).content


def test_the_upload_imports_and_shows_the_report(client: Any, seller: Any, shop: Any, carriers: Any) -> None:
    client.force_login(seller)
    raw = report_csv([report_row("10000001-0001-1"), report_row("10000002-0001-1", Количество="ноль")])

    response = client.post(reverse(IMPORT_URL), {"shop": shop.pk, "file": SimpleUploadedFile("postings.csv", raw, "text/csv")})

    assert response.status_code == 200
    content = response.content.decode()
    assert "2 rows, 1 postings: 1 created, 0 updated, 0 unchanged; 1 rows rejected" in content
    assert "«Количество»: &#x27;ноль&#x27; is not a number" in content
    assert list(Order.objects.values_list("posting_number", flat=True)) == ["10000001-0001-1"]


def test_the_upload_shows_a_whole_file_error_on_the_form(client: Any, seller: Any, shop: Any) -> None:
    client.force_login(seller)
    raw = report_csv([report_row("10000001-0001-1")], encoding="cp1251", bom=False)

    response = client.post(reverse(IMPORT_URL), {"shop": shop.pk, "file": SimpleUploadedFile("postings.csv", raw, "text/csv")})

    assert "The file is not UTF-8" in response.content.decode()
    assert not Order.objects.exists()


def test_the_upload_refuses_another_shop_and_users_without_permission(client: Any, seller: Any, other_shop: Any) -> None:
    client.force_login(seller)
    raw = report_csv([report_row("10000001-0001-1")])

    response = client.post(reverse(IMPORT_URL), {"shop": other_shop.pk, "file": SimpleUploadedFile("p.csv", raw, "text/csv")})

    assert "Select a valid choice" in response.content.decode()
    assert not Order.objects.exists()
    seller.user_permissions.remove(Permission.objects.get(codename="add_order"))
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def test_sync_now_queues_active_accounts(client: Any, superuser: Any, account: Any, settings: Any, monkeypatch: Any) -> None:
    queued: list[int] = []
    monkeypatch.setattr("marketplace.admin.marketplace_sync_account_task.delay", queued.append)
    client.force_login(superuser)

    client.post(reverse("admin:marketplace_marketplaceaccount_changelist"), {"action": "sync_now", "_selected_action": [account.pk]})

    assert queued == [account.pk]


@pytest.mark.django_db
def test_shop_staff_and_supervisors_may_manage_marketplace_accounts():
    from django.contrib.auth.models import Group

    def codenames(name):
        perms = Group.objects.get(name=name).permissions.filter(content_type__app_label="marketplace")
        return set(perms.values_list("codename", flat=True))

    assert {"add_marketplaceaccount", "change_marketplaceaccount", "view_marketplacepush"} <= codenames("shop staff")
    assert codenames("supervisors") == codenames("shop staff")
    assert codenames("agents") == {"view_marketplacepush"}
