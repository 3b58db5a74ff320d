"""Writing the planned world: shops, carriers, staff, buyers, orders and parcels.

Writes go through the services (they validate). Where no service exists yet (shops, carriers,
staff users, order cancellation and completion, the poll schedule, backdating) the ORM is used
directly, and the line says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db.models import F

from logistics.models import Carrier, Parcel
from logistics.services import parcel_apply_events, parcel_create
from logistics.statuses import TERMINAL_STATUSES
from logistics.statuses import ParcelStatus as S
from orders.models import Order, Shop, ShopMembership
from orders.services import buyer_create, order_create, order_mark_delivered, order_mark_shipped, shop_add_member
from tickets.demo.catalog import BUYER_PASSWORD, CARRIERS, LOGINS, SHENZHEN, SHOPS
from tickets.demo.plans import BuyerPlan, OrderPlan, ParcelPlan, sub_rng
from tickets.demo.sla import ensure_sla_setup


@dataclass
class Cast:
    """The staff who act in the cases."""

    agent: User
    supervisor: User
    seller: User


def ensure_shops() -> dict[str, Shop]:
    shops: dict[str, Shop] = {}
    for spec in SHOPS:
        shop = Shop.objects.filter(slug=spec.slug).first()
        if shop is None:
            shop = Shop(slug=spec.slug, name=spec.name, default_scheme=spec.default_scheme, time_zone=spec.time_zone,
                        default_language=spec.language, marketplace_seller_id=spec.seller_id)
            shop.full_clean()
            shop.save()
        shops[spec.slug] = shop
    return shops


def ensure_carriers() -> dict[str, Carrier]:
    carriers: dict[str, Carrier] = {}
    for spec in CARRIERS:
        carrier = Carrier.objects.filter(code=spec.code).first()
        if carrier is None:
            carrier = Carrier(code=spec.code, name=spec.name, adapter=spec.adapter, tracking_url_template=spec.url,
                              max_batch=spec.max_batch, poll_interval_minutes=spec.poll_interval_minutes,
                              stall_days=spec.stall_days, lost_days=spec.lost_days, number_formats=list(spec.number_formats))
            carrier.full_clean()
            carrier.save()
        carriers[spec.code] = carrier
    return carriers


def _login_user(username: str, password: str, first_name: str, last_name: str, superuser: bool) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=f"{username}@supportdesk.example", first_name=first_name, last_name=last_name)
    # Reset the printed password if someone changed it, so the login table never lies.
    if user.pk is None or not user.check_password(password) or not user.is_staff or user.is_superuser != superuser:
        user.set_password(password)
        user.is_staff, user.is_superuser = True, superuser
        user.save()
    return user


def ensure_staff(shops: dict[str, Shop]) -> Cast:
    """The demo logins: agent and supervisor serve every shop; the seller works for the Chinese shop."""
    users: dict[str, User] = {}
    for login in LOGINS:
        user = _login_user(login.username, login.password, login.first_name, login.last_name, superuser=not login.group)
        if login.group:
            user.groups.add(Group.objects.get(name=login.group))
        users[login.username] = user
    for shop in shops.values():
        for username in ("agent", "supervisor"):
            shop_add_member(shop=shop, user=users[username], role=ShopMembership.Role.AGENT)
    shop_add_member(shop=shops[SHENZHEN], user=users["seller"], role=ShopMembership.Role.STAFF)
    ensure_sla_setup(shops, [users["agent"], users["supervisor"]])
    return Cast(agent=users["agent"], supervisor=users["supervisor"], seller=users["seller"])


def ensure_buyers(plans: list[BuyerPlan]) -> dict[int, User]:
    """The planned buyers by plan index, created through buyer_create where missing."""
    existing: dict[str, User] = {u.username: u for u in User.objects.filter(username__in=[p.username for p in plans])}
    created: list[int] = []
    for plan in plans:
        if plan.username not in existing:
            person = plan.person
            existing[plan.username] = buyer_create(
                username=plan.username, email=plan.email, first_name=person.first_name, last_name=person.last_name,
                language=plan.language, phone=plan.phone,
            )
            created.append(existing[plan.username].pk)
    if created:  # one slow hash shared by all demo buyers instead of fifty (seconds on a laptop)
        User.objects.filter(pk__in=created).update(password=make_password(BUYER_PASSWORD))
    return {plan.index: existing[plan.username] for plan in plans}


def _parcel(order: Order, plan: ParcelPlan, carrier: Carrier) -> Parcel:
    parcel = parcel_create(order=order, carrier=carrier, tracking_number=plan.number, direction=plan.direction,
                           promised_date=plan.promised)
    if plan.events:
        received = plan.events[-1].occurred_at + dt.timedelta(minutes=7)
        parcel = parcel_apply_events(parcel=parcel, events=plan.events, now=received)
    return parcel


def _mark_shipped(order: Order, forward: ParcelPlan) -> None:
    # Before the events go in: ingest marks the order shipped at the *newest* event, we want the first scan.
    moving = [e for e in forward.events if e.status not in (S.PENDING, S.INFO_RECEIVED, S.CANCELLED)]
    if moving:
        order_mark_shipped(order=order, shipped_at=moving[0].occurred_at)


def _settle(order: Order, forward: ParcelPlan, now: dt.datetime, after_sales_days: int) -> None:
    """Finish the order as its parcel did: delivered (completed once after-sales is over) or cancelled."""
    if forward.status == S.CANCELLED:
        Order.objects.filter(id=order.id).update(status=Order.Status.CANCELLED)  # no order_cancel service yet
    elif forward.status == S.DELIVERED:
        delivered_at = forward.events[-1].occurred_at
        order_mark_delivered(order=order, delivered_at=delivered_at)  # a no-op when ingest did it already
        if delivered_at < now - dt.timedelta(days=after_sales_days + 1):  # no order_complete service yet
            Order.objects.filter(id=order.id).update(status=Order.Status.COMPLETED)


def _poll_schedule(parcel: Parcel, plan: ParcelPlan, carrier: Carrier, rng_seed: int, now: dt.datetime) -> None:
    """Spread the next polls over one interval, as if the worker had been running; demo parcels are due now."""
    rng = sub_rng(rng_seed, "poll", parcel.tracking_number)
    interval = dt.timedelta(minutes=carrier.poll_interval_minutes)
    last_event = plan.events[-1].occurred_at if plan.events else plan.created_at
    parcel.created_at = plan.created_at
    if carrier.code == "demo":
        parcel.last_polled_at, parcel.next_poll_at = None, now
    elif plan.status in TERMINAL_STATUSES:
        parcel.last_polled_at = min(now, last_event + dt.timedelta(minutes=rng.uniform(5, 120)))
    else:
        parcel.last_polled_at = min(now, max(now - interval * rng.random(), last_event + dt.timedelta(minutes=5)))
        parcel.next_poll_at = parcel.last_polled_at + interval


def create_orders(plans: list[OrderPlan], *, shops: dict[str, Shop], carriers: dict[str, Carrier],
                  buyers: dict[int, User], seed: int, now: dt.datetime) -> list[tuple[OrderPlan, Order]]:
    """Create the planned orders that do not exist yet, with their parcels.

    Keyed by posting number within the demo shops: it embeds the order index, so it names one order
    even when a --small and a full run put that index in different shops.
    """
    existing = set(Order.objects.filter(shop__slug__in=shops).values_list("posting_number", flat=True))
    created: list[tuple[OrderPlan, Order]] = []
    schedules: list[Parcel] = []
    for plan in plans:
        if plan.posting in existing:
            continue  # made by an earlier run: its parcels and cases are there too
        order = _order(plan, shops[plan.shop], buyers[plan.buyer])
        _mark_shipped(order, plan.parcels[0])
        for parcel_plan in plan.parcels:
            parcel = _parcel(order, parcel_plan, carriers[parcel_plan.carrier])
            _poll_schedule(parcel, parcel_plan, carriers[parcel_plan.carrier], seed, now)
            schedules.append(parcel)
        _settle(order, plan.parcels[0], now, shops[plan.shop].after_sales_days)
        created.append((plan, order))
    Parcel.objects.bulk_update(schedules, ["created_at", "last_polled_at", "next_poll_at"], batch_size=200)
    Order.objects.filter(id__in=[order.id for _plan, order in created]).update(created_at=F("placed_at"))
    return created


def _order(plan: OrderPlan, shop: Shop, buyer: User) -> Order:
    value = sum((line.unit_price * line.quantity for line in plan.lines), start=Decimal("0"))
    return order_create(
        shop=shop, buyer=buyer, order_number=plan.order_number, posting_number=plan.posting, address=plan.address,
        declared_value=value, currency=plan.currency, placed_at=plan.placed_at, lines=plan.lines, scheme=plan.scheme,
        promised_delivery_date=plan.promised,
    )
