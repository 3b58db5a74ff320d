"""Ozon FBS posting statuses onto the order lifecycle and the normalised parcel status (DESIGN §5, Ozon column).

Pure data: no ORM. Order statuses are the `orders.Order.Status` values; `None` leaves the order where it is
(arbitration is a dispute about a posting, not a step of its lifecycle).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from logistics.statuses import ParcelStatus


@dataclass(frozen=True)
class StatusMapping:
    order_status: str | None
    parcel_status: ParcelStatus
    label: str  # Ozon's own wording in the seller back office (the CSV report's «Статус»)


OZON_STATUSES: dict[str, StatusMapping] = {
    "acceptance_in_progress": StatusMapping("placed", ParcelStatus.PENDING, "Идёт приёмка"),
    "awaiting_approve": StatusMapping("placed", ParcelStatus.PENDING, "Ожидает подтверждения"),
    "awaiting_registration": StatusMapping("placed", ParcelStatus.PENDING, "Ожидает регистрации"),
    "awaiting_packaging": StatusMapping("placed", ParcelStatus.PENDING, "Ожидает сборки"),
    "awaiting_deliver": StatusMapping("placed", ParcelStatus.INFO_RECEIVED, "Ожидает отгрузки"),
    "sent_by_seller": StatusMapping("shipped", ParcelStatus.IN_TRANSIT, "Отправлено продавцом"),
    "delivering": StatusMapping("shipped", ParcelStatus.IN_TRANSIT, "Доставляется"),
    "driver_pickup": StatusMapping("shipped", ParcelStatus.OUT_FOR_DELIVERY, "У водителя"),
    "delivered": StatusMapping("delivered", ParcelStatus.DELIVERED, "Доставлен"),
    "arbitration": StatusMapping(None, ParcelStatus.ON_HOLD, "Арбитраж"),
    "client_arbitration": StatusMapping(None, ParcelStatus.ON_HOLD, "Клиентский арбитраж доставки"),
    "not_accepted": StatusMapping(None, ParcelStatus.EXCEPTION, "Не принят на сортировочном центре"),
    "cancelled": StatusMapping("cancelled", ParcelStatus.CANCELLED, "Отменён"),
    "cancelled_from_split_pending": StatusMapping("cancelled", ParcelStatus.CANCELLED, "Отменён из-за разделения заказа"),
}



def _label_key(text: str) -> str:
    return " ".join(text.split()).casefold().replace("ё", "е")


# The report spells some labels more than one way (ё or е, the participle's gender).
_LABEL_VARIANTS = {"Отменено": "cancelled", "Отменена": "cancelled", "Доставлено": "delivered", "Доставлена": "delivered"}
_BY_LABEL: dict[str, str] = {_label_key(m.label): code for code, m in OZON_STATUSES.items()} | {
    _label_key(label): code for label, code in _LABEL_VARIANTS.items()
}

# How far along the lifecycle each order status is: a stale status (an old report, a late page) never moves
# an order back. Cancelled outranks placed and shipped only: a delivered order is not "cancelled" afterwards.
ORDER_RANK = {"placed": 0, "shipped": 1, "cancelled": 2, "delivered": 3, "completed": 4}


@functools.lru_cache(maxsize=256)  # a report has a handful of distinct labels in 100,000 rows
def status_code(value: str) -> str | None:
    """The Ozon status code for an API code or a report label («Доставляется» → delivering); None if unknown."""
    text = value.strip()
    if text in OZON_STATUSES:
        return text
    return _BY_LABEL.get(_label_key(text))


def next_order_status(current: str, ozon_status: str) -> str:
    """The order status after Ozon says `ozon_status`: forward only, never out of delivered/completed."""
    target = OZON_STATUSES[ozon_status].order_status
    if target is None or ORDER_RANK[target] <= ORDER_RANK[current]:
        return current
    if current == "cancelled":  # a cancelled posting does not come back to life
        return current
    return target
