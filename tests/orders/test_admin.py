"""The admin as a whole (every registered model) and the shop, buyer and order admins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from api.services import token_create
from logistics.models import CarrierThreshold, ParcelAnomaly, TrackingEvent, TrackingNumberChange
from marketplace.models import MarketplacePush
from orders.models import Order, Shop
from tests.factories import (
    CarrierFactory,
    ClaimFactory,
    MarketplaceAccountFactory,
    OrderFactory,
    OrderLineFactory,
    ParcelFactory,
    TrackingEventFactory,
    UserFactory,
    WebhookSubscriptionFactory,
)
from tickets.models import (
    AgentStatus,
    AssignmentRule,
    Attachment,
    Macro,
    MacroText,
    Message,
    Notification,
    ShopCalendar,
    SlaPolicy,
    TicketAnomaly,
    TicketEvent,
)
from tickets.services import ticket_create
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.outbox import record_event

# Rows only services and carriers write: the admin shows them and offers no add page.
READ_ONLY = {TrackingEvent, TrackingNumberChange, Attachment, TicketEvent, ParcelAnomaly, TicketAnomaly, Notification,
             WebhookEvent, WebhookDelivery, MarketplacePush}


def login(client, user) -> None:
    client.force_login(user)


def admin_url(model, view: str, *args: object) -> str:
    # quoted as the admin quotes primary keys: a text key like "msg_23e6..." would otherwise unquote to "msg#e6..."
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[quote(arg) for arg in args])


@pytest.fixture
def one_of_everything(order, agent, superuser):
    """A row of every registered model, so changelists and change pages render real rows."""
    OrderLineFactory(order=order)
    parcel = ParcelFactory(order=order)
    TrackingEventFactory(parcel=parcel, raw_code="IN", location="Moscow")
    change = TrackingNumberChange.objects.create(
        parcel=parcel, old_carrier=parcel.carrier, old_number="OLD1", new_carrier=parcel.carrier,
        new_number=parcel.tracking_number, reason="typo", changed_by=agent,
    )
    account = MarketplaceAccountFactory(shop=order.shop)
    MarketplacePush.objects.create(change=change, account=account, posting_number=order.posting_number, tracking_number="NEW1")
    ticket = ticket_create(shop=order.shop, buyer=order.buyer, kind="damaged", subject="Broken", body="Photos", parcel=parcel)
    Attachment.objects.create(
        ticket=ticket, message=ticket.messages.get(), file="evidence/x", original_name="box.jpg", content_type="image/jpeg",
        size=10,
    )
    ClaimFactory(ticket=ticket, created_by=agent)
    CarrierThreshold.objects.create(shop=order.shop, carrier=parcel.carrier, stall_days=2, lost_days=5)
    anomaly = ParcelAnomaly.objects.create(parcel=parcel, kind="delayed")
    TicketAnomaly.objects.create(ticket=ticket, anomaly=anomaly)
    Notification.objects.create(user=order.buyer, kind="status_changed", title="Case opened", body="…", ticket=ticket)
    MacroText.objects.create(macro=Macro.objects.create(name="Greeting", shop=order.shop), language="ru", body="{buyer_name}")
    SlaPolicy.objects.create(name="Fast", shop=order.shop, first_response_minutes=60, resolution_minutes=600)
    ShopCalendar.objects.create(shop=order.shop)
    AssignmentRule.objects.create(shop=order.shop, strategy="round_robin").agents.add(agent)
    AgentStatus.objects.create(user=agent, is_away=True)
    WebhookSubscriptionFactory(shop=order.shop)
    record_event(shop=order.shop, event_type="case.created", data={"case": {"id": ticket.pk}})
    token_create(shop=order.shop, name="ERP", acting_user=superuser)
    return ticket


def test_every_registered_model_has_working_changelist_add_and_change_pages(client, superuser, one_of_everything):
    login(client, superuser)
    for model in admin.site._registry:
        assert client.get(admin_url(model, "changelist")).status_code == 200, model
        expected = 403 if model in READ_ONLY else 200
        assert client.get(admin_url(model, "add")).status_code == expected, model
        obj = model._default_manager.first()
        assert obj is not None, model
        assert client.get(admin_url(model, "change", obj.pk)).status_code == 200, model


def test_read_only_models_are_exactly_those_without_an_add_page(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    without_add = {model for model, model_admin in admin.site._registry.items() if not model_admin.has_add_permission(request)}
    assert without_add == READ_ONLY
    assert not any(admin.site._registry[model].has_change_permission(request) for model in READ_ONLY)
    assert not admin.site._registry[Message].has_change_permission(request)  # a sent message is the record


def test_agent_sees_only_own_shop_orders(client, desk_agent, shop, other_shop):
    mine, theirs = OrderFactory(shop=shop), OrderFactory(shop=other_shop)
    login(client, desk_agent)

    response = client.get(admin_url(Order, "changelist"))

    assert list(response.context["cl"].result_list) == [mine]
    assert other_shop.name not in response.text
    assert client.get(admin_url(Order, "change", theirs.pk)).url == reverse("admin:index")


def test_agent_who_is_also_a_buyer_elsewhere_does_not_get_that_order_in_the_admin(client, desk_agent, other_shop):
    # The selectors show buyers their own orders; the admin is for staff work, so it shows only member shops.
    bought = OrderFactory(shop=other_shop, buyer=desk_agent)
    login(client, desk_agent)

    response = client.get(admin_url(Order, "changelist"))

    assert bought not in response.context["cl"].result_list


def test_order_autocomplete_offers_only_own_shop_orders(client, desk_agent, shop, other_shop):
    mine, _theirs = OrderFactory(shop=shop), OrderFactory(shop=other_shop)
    login(client, desk_agent)

    response = client.get(
        reverse("admin:autocomplete"), {"app_label": "tickets", "model_name": "ticket", "field_name": "order", "term": "57"}
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


def test_agent_sees_only_own_shop_and_its_buyers(client, desk_agent, shop, other_shop, customer, other_customer):
    OrderFactory(shop=shop, buyer=customer)
    OrderFactory(shop=other_shop, buyer=other_customer)
    login(client, desk_agent)

    shops = client.get(admin_url(Shop, "changelist"))
    profiles = client.get(reverse("admin:orders_buyerprofile_changelist"))

    assert list(shops.context["cl"].result_list) == [shop]
    assert [profile.user for profile in profiles.context["cl"].result_list] == [customer]


def test_order_search_by_posting_number_and_buyer_email(client, superuser):
    wanted, _other = OrderFactory(), OrderFactory()
    login(client, superuser)

    for term in (wanted.posting_number, wanted.buyer.email):
        response = client.get(admin_url(Order, "changelist"), {"q": term})
        assert list(response.context["cl"].result_list) == [wanted]


def test_order_add_goes_through_order_create_and_saves_lines(client, superuser, shop, customer):
    login(client, superuser)
    placed = timezone.localtime() - dt.timedelta(days=1)
    data = {
        "shop": shop.pk, "buyer": customer.pk, "order_number": "57195475-0050", "posting_number": "57195475-0050-3",
        "scheme": "fbs", "recipient_name": "Ivan Petrov", "country": "RU", "city": "Kazan", "address_line": "Baumana 1",
        "declared_value": "1500.00", "currency": "RUB", "placed_at_0": placed.date().isoformat(),
        "placed_at_1": placed.strftime("%H:%M:%S"), "promised_delivery_date": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "lines-0-sku": "CASE-1", "lines-0-name": "Phone case", "lines-0-quantity": "2", "lines-0-unit_price": "750.00",
    }

    response = client.post(admin_url(Order, "add"), data)

    assert response.status_code == 302
    order = Order.objects.get(posting_number="57195475-0050-3")
    assert (order.shop, order.buyer, order.status, order.city) == (shop, customer, Order.Status.PLACED, "Kazan")
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [("CASE-1", 2, Decimal("750.00"))]


def test_order_change_keeps_shop_buyer_and_status_read_only(client, superuser, order, other_shop):
    login(client, superuser)
    page = client.get(admin_url(Order, "change", order.pk))
    form = page.context["adminform"].form

    assert {"shop", "buyer", "status"}.isdisjoint(form.fields)
    assert "recipient_name" in form.fields


def test_carrier_admin_is_shared_reference_data(client, desk_agent):
    CarrierFactory(code="cdek", name="CDEK")
    login(client, desk_agent)

    response = client.get(reverse("admin:logistics_carrier_changelist"))

    assert [carrier.code for carrier in response.context["cl"].result_list] == ["cdek"]


def test_staff_without_shops_sees_nothing(client, db):
    loner = UserFactory(username="loner", is_staff=True)
    loner.groups.add(Group.objects.get(name="agents"))
    OrderFactory()
    login(client, loner)

    response = client.get(admin_url(Order, "changelist"))

    assert list(response.context["cl"].result_list) == []
