"""The buyer's own orders: a list with late badges, and an order page with every parcel's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from logistics.models import Parcel, TrackingEvent
from logistics.selectors import order_parcels_with_timelines
from logistics.statuses import ParcelStatus
from orders.access import get_order_for_user
from orders.models import Order
from orders.selectors import orders_visible_to

ORDERS_PER_PAGE = 20
STATUS_BADGES: dict[str, str] = {
    ParcelStatus.DELIVERED: "text-bg-success",
    ParcelStatus.OUT_FOR_DELIVERY: "text-bg-primary",
    ParcelStatus.AVAILABLE_FOR_PICKUP: "text-bg-primary",
    ParcelStatus.IN_TRANSIT: "text-bg-info",
    ParcelStatus.CUSTOMS: "text-bg-warning",
    ParcelStatus.ON_HOLD: "text-bg-warning",
    ParcelStatus.DELIVERY_FAILED: "text-bg-danger",
    ParcelStatus.EXCEPTION: "text-bg-danger",
    ParcelStatus.LOST: "text-bg-danger",
    ParcelStatus.RETURNING: "text-bg-warning",
}


@dataclass(frozen=True)
class OrderRow:
    order: Order
    days_late: int


@dataclass(frozen=True)
class ParcelRow:
    parcel: Parcel
    tracking_url: str
    status_badge: str
    days_late: int
    timeline: list[TrackingEvent]


def buyer_orders(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """The portal shows a user's own orders as a buyer, even to shop staff who may see more elsewhere."""
    forward = Parcel.objects.filter(direction=Parcel.Direction.FORWARD).only("id", "order_id", "status", "promised_date")
    return (
        orders_visible_to(user)
        .filter(buyer_id=user.pk)
        .prefetch_related(Prefetch("parcels", queryset=forward, to_attr="forward_parcels"))
        .order_by("-placed_at", "-id")
    )


def order_rows(orders: list[Order], today: dt.date) -> list[OrderRow]:
    return [OrderRow(order, max((p.days_late(today) for p in order.forward_parcels), default=0)) for order in orders]  # type: ignore[attr-defined]


def parcel_rows(order: Order, today: dt.date) -> list[ParcelRow]:
    """Every parcel of the order with its timeline, in three queries whatever the number of parcels."""
    parcels = order_parcels_with_timelines(order)
    return [
        ParcelRow(
            parcel=parcel, tracking_url=parcel.carrier.tracking_url(parcel.tracking_number),
            status_badge=STATUS_BADGES.get(parcel.status, "text-bg-secondary"),
            days_late=parcel.days_late(today), timeline=parcel.timeline,  # type: ignore[attr-defined]  # prefetched to_attr
        )
        for parcel in parcels
    ]


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(buyer_orders(request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = order_rows(list(page.object_list), timezone.localdate())
    return render(request, "portal/orders/list.html", {"page": page, "rows": rows})


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_order_for_user(request.user, pk)
    if order.buyer_id != request.user.pk:  # staff may see it in the desk; the portal is for its buyer
        raise Http404("No such order")
    context = {
        "order": order,
        "lines": list(order.lines.order_by("id")),
        "parcels": parcel_rows(order, timezone.localdate()),
    }
    return render(request, "portal/orders/detail.html", context)
