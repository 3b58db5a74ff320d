"""Postings into orders, lines and parcels: the one batched, idempotent writer behind the Ozon sync and the CSV import.

`postings_upsert` takes postings that are already parsed (API or report), in chunks: it reads what
exists for the whole chunk, plans every posting (reads only), then writes the chunk with bulk
statements. Upsert key: (shop, posting number). Running it twice with the same postings writes nothing
the second time. Order statuses move forward only (`ozon.statuses.next_order_status`).

Parcels: the posting's tracking number with the carrier its delivery method maps to (`carriers.py`);
Ozon's own logistics uses the posting number itself. Ozon's status is applied to parcels of carriers
nobody polls (adapter "manual", e.g. Ozon Логистика), as a TrackingEvent keyed by the Ozon status;
parcels of polled carriers follow their carrier's own tracking.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from logistics.models import Carrier, Parcel, TrackingEvent
from logistics.services import carrier_validate_number, parcel_change_tracking_number
from logistics.statuses import ParcelStatus
from marketplace.bulk import insert_rows
from marketplace.buyers import BuyerRef, buyers_resolve
from marketplace.carriers import CarrierResolver
from marketplace.models import MarketplaceAccount, MarketplacePush
from marketplace.ozon.statuses import next_order_status
from marketplace.parcel_status import ozon_move, parcels_apply_ozon_status
from orders.models import FulfilmentScheme, Order, OrderLine, Shop
from supportdesk.sql import update_from_values

logger = logging.getLogger("marketplace.postings")

UNKNOWN = "—"  # what Ozon withholds (FBS buyers' addresses): required order fields get this on create
BATCH = 1000
# Fields the writer owns on an existing order; "" / None in the posting leaves the stored value alone.
_TEXT_FIELDS = ("order_number", "recipient_name", "recipient_phone", "region", "city", "postal_code", "address_line")


# Not frozen, but slotted: a report of 100,000 rows builds as many of these, and frozen dataclasses are
# several times slower to construct. Treat them as values all the same.
@dataclass(slots=True)
class LineData:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class PostingData:
    """One posting as the writer takes it, whatever it came from. "" and None mean "not given"."""

    posting_number: str
    order_number: str
    ozon_status: str  # a key of OZON_STATUSES
    placed_at: dt.datetime
    declared_value: Decimal
    currency: str
    lines: tuple[LineData, ...]
    tracking_number: str = ""
    delivery_method: str = ""  # delivery method and/or 3PL provider, for the carrier mapping
    ozon_logistics: bool = False
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    status_changed_at: dt.datetime | None = None
    promised_date: dt.date | None = None
    recipient_name: str = ""
    recipient_phone: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    address_line: str = ""
    buyer: BuyerRef = field(default_factory=BuyerRef)


@dataclass
class UpsertResult:
    """Per posting number: "created", "updated" or "unchanged"; rejections and warnings with their reason."""

    outcomes: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


@dataclass
class _Plan:
    data: PostingData
    order: Order | None = None  # the existing order
    order_id: int = 0  # the existing or new order's id, once known
    carrier: Carrier | None = None
    number: str = ""


def postings_upsert(*, shop: Shop, postings: Sequence[PostingData], strict: bool, now: dt.datetime | None = None) -> UpsertResult:
    """Create or update the shop's orders, lines and parcels from `postings`, BATCH at a time.

    strict (the CSV import): a posting whose tracking number the carrier does not issue, or that another
    parcel already has, is rejected whole. Not strict (the API sync): the order goes in without the
    parcel and a warning says why. Later copies of a posting number in `postings` win.
    """
    now = now or timezone.now()
    resolver = CarrierResolver.load()
    account = MarketplaceAccount.objects.filter(shop=shop).first()
    result = UpsertResult()
    unique = list({p.posting_number: p for p in postings}.values())
    for start in range(0, len(unique), BATCH):
        _upsert_chunk(shop, unique[start : start + BATCH], strict=strict, now=now, resolver=resolver, account=account, result=result)
    return result


def _upsert_chunk(
    shop: Shop, chunk: list[PostingData], *, strict: bool, now: dt.datetime, resolver: CarrierResolver,
    account: MarketplaceAccount | None, result: UpsertResult,
) -> None:
    try:
        with transaction.atomic():
            _write_chunk(shop, chunk, strict=strict, now=now, resolver=resolver, account=account, result=result)
    except IntegrityError:
        # Something changed between our reads and writes (a concurrent import or sync): redo this chunk
        # one posting at a time, each in its own transaction, so only the posting that clashes fails.
        logger.warning("batch write of %s postings clashed; retrying one by one", len(chunk))
        for posting in chunk:
            result.outcomes.pop(posting.posting_number, None)
            try:
                with transaction.atomic():
                    _write_chunk(shop, [posting], strict=strict, now=now, resolver=resolver, account=account, result=result)
            except IntegrityError as error:
                result.outcomes.pop(posting.posting_number, None)
                result.rejected[posting.posting_number] = f"could not be saved: {error}"[:300]


def _write_chunk(
    shop: Shop, chunk: list[PostingData], *, strict: bool, now: dt.datetime, resolver: CarrierResolver,
    account: MarketplaceAccount | None, result: UpsertResult,
) -> None:
    existing = {o.posting_number: o for o in Order.objects.filter(shop=shop, posting_number__in=[p.posting_number for p in chunk])}
    plans = [_Plan(data=p, order=o, order_id=o.id if o else 0) for p in chunk for o in [existing.get(p.posting_number)]]
    parcels = _forward_parcels([p.order_id for p in plans if p.order], resolver)
    plans = _plan_parcels(plans, parcels, resolver=resolver, strict=strict, result=result)
    created_ids = _create_orders(shop, [p for p in plans if p.order is None], now=now)
    updated = _update_orders([p for p in plans if p.order is not None], now=now)
    lines_changed = _sync_lines(plans, created_ids=created_ids)
    parcels_changed = _sync_parcels(plans, parcels, now=now, account=account, result=result)
    for plan in plans:
        number = plan.data.posting_number
        if plan.order_id in created_ids:
            result.outcomes[number] = "created"
        elif plan.order_id in updated or plan.order_id in lines_changed or plan.order_id in parcels_changed:
            result.outcomes[number] = "updated"
        else:
            result.outcomes[number] = "unchanged"


def _forward_parcels(order_ids: list[int], resolver: CarrierResolver) -> dict[int, Parcel]:
    parcels: dict[int, Parcel] = {}
    fields = ("id", "order_id", "carrier_id", "tracking_number", "status", "last_event_at", "direction")
    for parcel in Parcel.objects.filter(order_id__in=order_ids, direction=Parcel.Direction.FORWARD).only(*fields).order_by("-id"):
        parcel.carrier = resolver.by_id[parcel.carrier_id]  # carriers are few: from the resolver, not a join
        parcels[parcel.order_id] = parcel  # the oldest forward parcel is the posting's own
    return parcels


def _plan_parcels(
    plans: list[_Plan], parcels: dict[int, Parcel], *, resolver: CarrierResolver, strict: bool, result: UpsertResult,
) -> list[_Plan]:
    """Work out each posting's carrier and number (reads only); drop the postings rejected in strict mode."""
    kept: list[_Plan] = []
    for plan in plans:
        data = plan.data
        plan.carrier = resolver.resolve(data.delivery_method, ozon_logistics=data.ozon_logistics)
        raw = data.tracking_number or (data.posting_number if plan.carrier is not None and resolver.is_ozon(plan.carrier) else "")
        problem = ""
        if raw and plan.carrier is None:
            problem = f"no carrier matches the delivery method {data.delivery_method!r}: the posting goes in without a parcel"
        elif raw and plan.carrier is not None:
            try:
                plan.number = carrier_validate_number(carrier=plan.carrier, number=raw)
            except ValidationError as error:
                problem = f"tracking number {raw}: " + " ".join(error.messages)
        if problem and strict and plan.carrier is not None:
            result.rejected[data.posting_number] = problem
            continue
        if problem:
            result.warnings[data.posting_number] = problem
            logger.info("posting %s: %s", data.posting_number, problem)
            plan.carrier, plan.number = None, ""
        kept.append(plan)
    return _drop_taken_numbers(kept, parcels, strict=strict, result=result)


def _drop_taken_numbers(plans: list[_Plan], parcels: dict[int, Parcel], *, strict: bool, result: UpsertResult) -> list[_Plan]:
    """A (carrier, number) another order's parcel has (or an earlier posting of this chunk) cannot be used again."""
    wanted = {(p.carrier.id, p.number) for p in plans if p.carrier is not None and p.number}
    owners = {
        (c, n): o for c, n, o in Parcel.objects.filter(tracking_number__in={n for _c, n in wanted}).values_list("carrier_id", "tracking_number", "order_id")
        if (c, n) in wanted
    }
    kept: list[_Plan] = []
    for plan in plans:
        if plan.carrier is not None and plan.number:
            key, own_id = (plan.carrier.id, plan.number), plan.order_id or None
            owner = owners.get(key)
            if owner is not None and owner != own_id:
                problem = f"tracking number {plan.number} is already used by another parcel of {plan.carrier.name}"
                if strict:
                    result.rejected[plan.data.posting_number] = problem
                    continue
                result.warnings[plan.data.posting_number] = problem + ": the posting goes in without it"
                plan.carrier, plan.number = None, ""
            else:
                owners[key] = own_id if own_id is not None else -1  # taken by this posting from now on
        kept.append(plan)
    return kept


def _order_status(data: PostingData, current: str = Order.Status.PLACED) -> str:
    return next_order_status(current, data.ozon_status)


def _create_orders(shop: Shop, plans: list[_Plan], *, now: dt.datetime) -> set[int]:
    """Insert the new orders (rows, not instances: see bulk.py); sets each plan's order_id and returns the new ids."""
    if not plans:
        return set()
    buyers = buyers_resolve(shop=shop, refs=[p.data.buyer for p in plans])
    rows = []
    for plan in plans:
        d = plan.data
        status = _order_status(d)
        rows.append({
            "shop_id": shop.id, "buyer_id": buyers[d.buyer.key], "order_number": d.order_number, "posting_number": d.posting_number,
            "scheme": FulfilmentScheme.FBS.value, "status": status, "recipient_name": d.recipient_name or UNKNOWN,
            "recipient_phone": d.recipient_phone, "country": "RU", "region": d.region, "city": d.city or UNKNOWN,
            "postal_code": d.postal_code, "address_line": d.address_line or UNKNOWN, "declared_value": d.declared_value,
            "currency": d.currency, "placed_at": d.placed_at, "promised_delivery_date": d.promised_date,
            "shipped_at": d.shipped_at if status in ("shipped", "delivered") else None,
            "delivered_at": (d.delivered_at or now) if status == "delivered" else None, "created_at": now, "updated_at": now,
        })
    ids = insert_rows(Order, rows)
    for plan, order_id in zip(plans, ids, strict=True):
        plan.order_id = order_id
    return set(ids)


def _order_changes(order: Order, d: PostingData, now: dt.datetime) -> set[str]:
    """Set the posting's values on `order` (in memory); return the names of the fields that changed."""
    wanted: dict[str, object] = {name: getattr(d, name) for name in _TEXT_FIELDS if getattr(d, name)}
    wanted |= {"declared_value": d.declared_value, "currency": d.currency, "placed_at": d.placed_at}
    if d.promised_date is not None:
        wanted["promised_delivery_date"] = d.promised_date
    status = _order_status(d, order.status)
    wanted["status"] = status
    if status in ("shipped", "delivered") and order.shipped_at is None and d.shipped_at is not None:
        wanted["shipped_at"] = d.shipped_at
    if status == "delivered" and order.delivered_at is None:
        wanted["delivered_at"] = d.delivered_at or now
    changed = {name for name, value in wanted.items() if getattr(order, name) != value}
    for name in changed:
        setattr(order, name, wanted[name])
    return changed


_UPDATE_COLUMNS = (
    *((name, "text") for name in (*_TEXT_FIELDS, "status", "currency")), ("declared_value", "numeric"), ("placed_at", "timestamptz"),
    ("promised_delivery_date", "date"), ("shipped_at", "timestamptz"), ("delivered_at", "timestamptz"), ("updated_at", "timestamptz"),
)


def _update_orders(plans: list[_Plan], *, now: dt.datetime) -> set[int]:
    """Write the changed orders' owned fields in one UPDATE ... FROM (VALUES ...) (bulk_update's CASEs are slow)."""
    changed: list[Order] = []
    for plan in plans:
        assert plan.order is not None  # noqa: S101
        if _order_changes(plan.order, plan.data, now):
            plan.order.updated_at = now
            changed.append(plan.order)
    if changed:
        rows = [(o.id, *(_sql_value(getattr(o, name)) for name, _kind in _UPDATE_COLUMNS)) for o in changed]
        update_from_values(
            table=Order._meta.db_table, columns=[("order_pk", "bigint"), *((f"v_{n}", kind) for n, kind in _UPDATE_COLUMNS)], rows=rows,
            assignments=", ".join(f"{name} = v.v_{name}" for name, _kind in _UPDATE_COLUMNS),
        )
    return {o.id for o in changed}


def _sql_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _line_key(sku: str, name: str, quantity: int, unit_price: Decimal) -> tuple[str, str, int, Decimal]:
    return (sku, name, quantity, Decimal(unit_price).quantize(Decimal("0.01")))


def _sync_lines(plans: list[_Plan], *, created_ids: set[int]) -> set[int]:
    """Replace an order's lines when the posting's differ (as a multiset); returns the ids of existing orders changed."""
    existing_ids = [p.order_id for p in plans if p.order_id not in created_ids]
    stored: dict[int, list[tuple[str, str, int, Decimal]]] = defaultdict(list)
    for order_id, sku, name, quantity, price in OrderLine.objects.filter(order_id__in=existing_ids).values_list(
        "order_id", "sku", "name", "quantity", "unit_price"
    ):
        stored[order_id].append(_line_key(sku, name, quantity, price))
    replace: list[int] = []
    new_lines: list[dict[str, object]] = []
    for plan in plans:
        wanted = sorted(_line_key(l.sku, l.name, l.quantity, l.unit_price) for l in plan.data.lines)
        if plan.order_id not in created_ids:
            if sorted(stored.get(plan.order_id, [])) == wanted:
                continue
            replace.append(plan.order_id)
        new_lines += [{"order_id": plan.order_id, "sku": s, "name": n, "quantity": q, "unit_price": u} for s, n, q, u in wanted]
    if replace:
        OrderLine.objects.filter(order_id__in=replace).delete()
    insert_rows(OrderLine, new_lines)
    return set(replace)


def _sync_parcels(
    plans: list[_Plan], parcels: dict[int, Parcel], *, now: dt.datetime, account: MarketplaceAccount | None, result: UpsertResult,
) -> set[int]:
    """Create missing parcels (in their Ozon status), replace changed numbers (with history), move the others to
    Ozon's status; returns the ids of existing orders whose parcel changed."""
    new: list[dict[str, object]] = []
    new_events: list[dict[str, object] | None] = []
    stored: list[tuple[Parcel, PostingData]] = []
    changed: set[int] = set()
    for plan in plans:
        if plan.carrier is None or not plan.number:
            continue
        parcel = parcels.get(plan.order_id)
        if parcel is None:
            move = ozon_move(plan.carrier, ParcelStatus.PENDING, None, plan.data, now)
            new.append({
                "order_id": plan.order_id, "carrier_id": plan.carrier.id, "tracking_number": plan.number,
                "promised_date": plan.data.promised_date, "status": move.status if move else ParcelStatus.PENDING.value,
                "status_changed_at": now if move else None, "last_event_at": move.occurred_at if move else None,
                "next_poll_at": None if plan.carrier.adapter == Carrier.Adapter.MANUAL else now, "created_at": now, "updated_at": now,
            })
            new_events.append(move.event_row(now) if move else None)
            continue
        if (parcel.carrier_id, parcel.tracking_number) != (plan.carrier.id, plan.number):
            _change_number(parcel, plan, account=account, result=result)
            changed.add(plan.order_id)
        stored.append((parcel, plan.data))
    ids = insert_rows(Parcel, new)
    insert_rows(TrackingEvent, [{**event, "parcel_id": pk} for pk, event in zip(ids, new_events, strict=True) if event])
    return changed | parcels_apply_ozon_status(stored, now=now)


def _change_number(parcel: Parcel, plan: _Plan, *, account: MarketplaceAccount | None, result: UpsertResult) -> None:
    """The number changed at Ozon: record it like any change, and mark it as not to be pushed back to Ozon."""
    assert plan.carrier is not None  # noqa: S101
    change = parcel_change_tracking_number(
        parcel=parcel, new_number=plan.number, new_carrier=plan.carrier, reason="Changed at Ozon (marketplace sync)", acting_user=None,
    )
    if account is not None:
        MarketplacePush.objects.create(
            change=change, account=account, posting_number=plan.data.posting_number, tracking_number=change.new_number,
            status=MarketplacePush.Status.FROM_MARKETPLACE,
        )
    result.warnings.setdefault(plan.data.posting_number, f"tracking number changed to {change.new_number}")

