"""What each carrier family says at each step of a parcel's journey (DESIGN §5's status table).

A *stage* is a carrier-neutral step ("customs_in", "courier"); each family maps it to the
normalised status plus the raw code and text that carrier really sends. A family without an
entry for a stage cannot express it, and the planner picks another carrier for that status.
"""

from __future__ import annotations

from logistics.statuses import ParcelStatus as S

Entry = tuple[str, str, str]  # (normalised status, raw code, raw description)

SEVENTEEN_TRACK: dict[str, Entry] = {
    "label": (S.INFO_RECEIVED, "InfoReceived", "Shipment information received, awaiting pickup"),
    "accepted": (S.IN_TRANSIT, "InTransit_PickedUp", "Parcel picked up by the carrier"),
    "sorted_origin": (S.IN_TRANSIT, "InTransit_Departure", "Departed from sorting center"),
    "export": (S.IN_TRANSIT, "InTransit_Departure", "Export clearance completed, departed from the country of origin"),
    "arrived_country": (S.IN_TRANSIT, "InTransit_Arrival", "Arrived in the destination country"),
    "customs_in": (S.CUSTOMS, "InTransit_CustomsProcessing", "Import customs clearance started"),
    "customs_out": (S.IN_TRANSIT, "InTransit_CustomsReleased", "Import customs clearance completed"),
    "hub": (S.IN_TRANSIT, "InTransit_Arrival", "Arrived at sorting center"),
    "linehaul": (S.IN_TRANSIT, "InTransit_Departure", "Departed from sorting center"),
    "arrived_city": (S.IN_TRANSIT, "InTransit_Arrival", "Arrived at the delivery facility"),
    "courier": (S.OUT_FOR_DELIVERY, "OutForDelivery_Other", "Out for delivery"),
    "pickup_point": (S.AVAILABLE_FOR_PICKUP, "AvailableForPickup_Other", "Arrived at the pick-up point, awaiting collection"),
    "delivered": (S.DELIVERED, "Delivered_Other", "Delivered, signed for by the recipient"),
    "failed": (S.DELIVERY_FAILED, "DeliveryFailure_NoBody", "Delivery attempt failed: recipient not available"),
    "exception:damage": (S.EXCEPTION, "Exception_Damage", "Parcel damaged in transit, held for inspection"),
    "exception:address": (S.EXCEPTION, "Exception_Other", "Address problem: recipient address incomplete"),
    "exception:refused": (S.EXCEPTION, "Exception_Rejected", "Recipient refused the parcel"),
    "returning": (S.RETURNING, "Exception_Returning", "Returning to sender"),
    "returned": (S.RETURNED, "Exception_Returned", "Returned to sender"),
    "lost": (S.LOST, "Exception_Lost", "Parcel declared lost by the carrier"),
    "cancelled": (S.CANCELLED, "Exception_Cancel", "Shipment cancelled by the sender"),
    "expired": (S.EXPIRED, "Expired_Other", "No tracking updates for a long time; tracking stopped"),
}

CDEK: dict[str, Entry] = {
    "label": (S.INFO_RECEIVED, "CREATED", "Заказ создан"),
    "accepted": (S.IN_TRANSIT, "RECEIVED_AT_SHIPMENT_WAREHOUSE", "Принят на склад отправителя"),
    "sorted_origin": (S.IN_TRANSIT, "READY_TO_SHIP_AT_SENDING_OFFICE", "Готов к отправке в городе отправителя"),
    "linehaul": (S.IN_TRANSIT, "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY", "Сдан перевозчику в городе отправителя"),
    "hub": (S.IN_TRANSIT, "ACCEPTED_IN_TRANSIT_CITY", "Встречен в городе-транзите"),
    "arrived_city": (S.IN_TRANSIT, "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE", "Принят на склад доставки"),
    "courier": (S.OUT_FOR_DELIVERY, "TAKEN_BY_COURIER", "Выдан на доставку курьеру"),
    "pickup_point": (S.AVAILABLE_FOR_PICKUP, "ACCEPTED_AT_PICK_UP_POINT", "Принят в пункт выдачи, ожидает получателя"),
    "delivered": (S.DELIVERED, "DELIVERED", "Вручён получателю"),
    "exception:damage": (S.EXCEPTION, "NOT_DELIVERED", "Не вручен: повреждение упаковки, составлен акт"),
    "exception:address": (S.EXCEPTION, "NOT_DELIVERED", "Не вручен: неверный адрес получателя"),
    "exception:refused": (S.EXCEPTION, "NOT_DELIVERED", "Не вручен: отказ получателя"),
    "returning": (S.RETURNING, "RETURN_IN_TRANSIT", "Возвратный заказ в пути к отправителю"),
    "returned": (S.RETURNED, "DELIVERED", "Возвратный заказ вручён отправителю"),
    "lost": (S.LOST, "NOT_DELIVERED", "Не вручен: утеря отправления (причина 26)"),
    "cancelled": (S.CANCELLED, "REMOVED", "Заказ удалён отправителем"),
}

RUSSIAN_POST: dict[str, Entry] = {  # raw code = OperType.OperAttr
    "label": (S.INFO_RECEIVED, "28.1", "Присвоен трек-номер"),
    "accepted": (S.IN_TRANSIT, "1.1", "Приём: единичный"),
    "sorted_origin": (S.IN_TRANSIT, "8.0", "Сортировка"),
    "export": (S.IN_TRANSIT, "10.1", "Экспорт международной почты"),
    "arrived_country": (S.IN_TRANSIT, "9.1", "Импорт международной почты"),
    "customs_in": (S.CUSTOMS, "11.1", "Приём на таможню"),
    "customs_out": (S.CUSTOMS, "14.1", "Таможенное оформление завершено"),
    "hub": (S.IN_TRANSIT, "8.3", "Прибыло в сортировочный центр"),
    "linehaul": (S.IN_TRANSIT, "8.4", "Покинуло сортировочный центр"),
    "arrived_city": (S.IN_TRANSIT, "8.7", "Прибыло в место транзита"),
    "courier": (S.OUT_FOR_DELIVERY, "8.15", "Передано курьеру для доставки"),
    "pickup_point": (S.AVAILABLE_FOR_PICKUP, "8.2", "Прибыло в место вручения"),
    "delivered": (S.DELIVERED, "2.1", "Вручение адресату"),
    "failed": (S.DELIVERY_FAILED, "12.1", "Неудачная попытка вручения: временное отсутствие адресата"),
    "hold": (S.ON_HOLD, "7.1", "Временное хранение: проверка отправления"),
    "exception:damage": (S.EXCEPTION, "25.1", "Вскрытие: повреждение вложения"),
    "exception:address": (S.EXCEPTION, "4.1", "Досылка почты: адрес указан неверно"),
    "returning": (S.RETURNING, "3.1", "Возврат: истёк срок хранения"),
    "returned": (S.RETURNED, "2.2", "Вручение отправителю"),
    "lost": (S.LOST, "18.1", "Регистрация утраты"),
    "cancelled": (S.CANCELLED, "26.1", "Отмена: по требованию отправителя"),
}

OZON: dict[str, Entry] = {  # posting statuses synced from the marketplace (manual adapter)
    "pending": (S.PENDING, "awaiting_packaging", "Ожидает сборки"),
    "label": (S.INFO_RECEIVED, "awaiting_deliver", "Собрано, ожидает отгрузки"),
    "accepted": (S.IN_TRANSIT, "delivering", "Принято в сортировочном центре Ozon"),
    "sorted_origin": (S.IN_TRANSIT, "delivering", "Отправлено со склада Ozon"),
    "linehaul": (S.IN_TRANSIT, "delivering", "В пути в город получателя"),
    "arrived_city": (S.IN_TRANSIT, "delivering", "Прибыло в сортировочный центр города получателя"),
    "delivered": (S.DELIVERED, "delivered", "Получено покупателем"),
    "hold": (S.ON_HOLD, "arbitration", "Арбитраж: отправление на проверке"),
    "exception:damage": (S.EXCEPTION, "not_accepted", "Не принято: повреждение упаковки при приёмке"),
    "exception:address": (S.EXCEPTION, "not_accepted", "Не принято: ошибка в адресе доставки"),
    "cancelled": (S.CANCELLED, "cancelled", "Отменено"),
}

FAMILIES: dict[str, dict[str, Entry]] = {
    "17track": SEVENTEEN_TRACK, "demo": SEVENTEEN_TRACK, "cdek": CDEK, "russian_post": RUSSIAN_POST, "manual": OZON,
}

# The journey up to the destination city, per route.
BASE_STAGES: dict[str, list[str]] = {
    "cn": ["label", "accepted", "sorted_origin", "export", "arrived_country", "customs_in", "customs_out", "hub",
           "linehaul", "arrived_city"],
    "ru": ["label", "accepted", "sorted_origin", "linehaul", "hub", "arrived_city"],
    "ozon": ["label", "accepted", "sorted_origin", "linehaul", "arrived_city"],
}

# Hours since the previous event, (min, max): long hauls and customs take days, city steps hours.
GAP_HOURS: dict[str, tuple[float, float]] = {
    "pending": (1, 12), "label": (2, 24), "accepted": (6, 40), "sorted_origin": (2, 12), "export": (12, 48),
    "arrived_country": (24, 96), "customs_in": (4, 24), "customs_out": (12, 72), "hub": (8, 36), "linehaul": (3, 12),
    "arrived_city": (24, 90), "courier": (4, 20), "pickup_point": (4, 30), "delivered": (2, 60), "failed": (3, 9),
    "hold": (24, 72), "exception": (3, 24), "returning": (24, 96), "returned": (72, 200), "lost": (240, 480),
    "cancelled": (2, 30), "expired": (600, 800),
}


def final_stages(status: str) -> tuple[str, ...]:
    """Stages a family must support to end a journey in `status`."""
    stages: dict[str, tuple[str, ...]] = {
        S.INFO_RECEIVED: ("label",), S.CUSTOMS: ("customs_in",), S.OUT_FOR_DELIVERY: ("courier",),
        S.AVAILABLE_FOR_PICKUP: ("pickup_point",), S.DELIVERY_FAILED: ("failed",), S.ON_HOLD: ("hold",),
        S.EXCEPTION: ("exception:damage",), S.RETURNING: ("returning",), S.RETURNED: ("returning", "returned"),
        S.DELIVERED: ("delivered",), S.LOST: ("lost",), S.CANCELLED: ("cancelled",), S.EXPIRED: ("expired",),
    }
    return stages.get(status, ())
