"""The fixed part of the demo world: shops, carriers, what the shops sell, and the demo logins."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

BUYER_PASSWORD = "demo-buyer-pass"  # noqa: S105 - a published demo password, printed by the command


class ShopSpec(NamedTuple):
    slug: str
    name: str
    default_scheme: str
    time_zone: str
    language: str
    currency: str
    seller_id: str


class CarrierSpec(NamedTuple):
    code: str
    name: str
    adapter: str
    url: str
    max_batch: int
    poll_interval_minutes: int
    stall_days: int
    lost_days: int
    number_formats: tuple[str, ...]  # logistics.tracking_numbers.NumberFormat values


class Product(NamedTuple):
    sku: str
    name: str
    price: Decimal


class Login(NamedTuple):
    username: str
    password: str
    first_name: str
    last_name: str
    group: str  # "" for the superuser
    can: str


SHENZHEN, DOM_I_SAD, TEKHNOMARKET = "shenzhen-gadgets", "dom-i-sad", "tekhnomarket"
SHOPS = [
    ShopSpec(SHENZHEN, "Shenzhen Gadgets", "fbs", "Asia/Shanghai", "zh-hans", "CNY", "2187345"),
    ShopSpec(DOM_I_SAD, "Дом и Сад", "fbo", "Europe/Moscow", "ru", "RUB", "1049821"),
    ShopSpec(TEKHNOMARKET, "ТехноМаркет", "fbs", "Europe/Moscow", "ru", "RUB", "1533670"),
]

_17TRACK = "https://t.17track.net/en#nums={number}"
CARRIERS = [
    CarrierSpec("cainiao", "Cainiao", "17track", "https://global.cainiao.com/newDetail.htm?mailNoList={number}",
                40, 240, 7, 20, ("generic",)),
    CarrierSpec("yanwen", "Yanwen", "17track", _17TRACK, 40, 240, 8, 25, ("s10", "generic")),
    CarrierSpec("china-post", "China Post", "17track", _17TRACK, 40, 360, 10, 30, ("s10",)),
    CarrierSpec("cdek", "СДЭК", "cdek", "https://www.cdek.ru/ru/tracking?order_id={number}", 1, 120, 4, 14, ("cdek",)),
    CarrierSpec("russian-post", "Почта России", "russian_post", "https://www.pochta.ru/tracking#{number}",
                1, 180, 7, 30, ("russian_post_14", "s10")),
    CarrierSpec("ozon-logistics", "Ozon Логистика", "manual", "https://www.ozon.ru/my/orderlist?posting={number}",
                1, 60, 3, 10, ("ozon_posting",)),
    # The emulated carrier, polled every minute; make run replays its parcels' last two weeks first.
    CarrierSpec("demo", "Demo Express (emulator)", "demo", "https://t.17track.net/en#nums={number}", 40, 1, 3, 7, ("generic",)),
]

# (shop, scheme, carrier, route, weight): how each shop ships. Routes: cn = cross-border from China,
# ru = a Russian carrier from the seller's warehouse, ozon = the marketplace's own logistics.
COMBOS = [
    (SHENZHEN, "fbs", "cainiao", "cn", 16), (SHENZHEN, "fbs", "yanwen", "cn", 7),
    (SHENZHEN, "fbs", "china-post", "cn", 7), (SHENZHEN, "fbs", "russian-post", "cn", 5),
    (DOM_I_SAD, "fbo", "ozon-logistics", "ozon", 30),
    (TEKHNOMARKET, "fbs", "cdek", "ru", 10), (TEKHNOMARKET, "fbs", "russian-post", "ru", 8),
    (TEKHNOMARKET, "fbs", "ozon-logistics", "ozon", 4), (TEKHNOMARKET, "fbo", "ozon-logistics", "ozon", 8),
]


def _products(prefix: str, rows: list[tuple[str, str]]) -> list[Product]:
    return [Product(f"{prefix}-{1001 + n}", name, Decimal(price)) for n, (name, price) in enumerate(rows)]


# Ozon listings are in Russian whoever sells them; the Chinese shop prices in yuan.
PRODUCTS: dict[str, list[Product]] = {
    SHENZHEN: _products("SZG", [
        ("Беспроводные наушники TWS Pro 5", "89.00"), ("Power bank 20000 мАч, быстрая зарядка", "119.00"),
        ("Кабель USB-C — USB-C 100 Вт, 2 м", "25.50"), ("Умные часы X8 Ultra", "159.00"),
        ("Чехол для iPhone 15 прозрачный MagSafe", "19.90"), ("Светодиодная лента RGB 5 м с пультом", "45.00"),
        ("Зарядное устройство GaN 65 Вт", "99.00"), ("Экшн-камера 4K с аквабоксом", "329.00"),
        ("Мини-проектор HY300", "389.00"), ("Механическая клавиатура 87 клавиш", "219.00"),
        ("Беспроводная мышь бесшумная", "39.00"), ("Кольцевая лампа 26 см со штативом", "69.00"),
        ("Фитнес-браслет M8", "55.00"), ("Bluetooth-колонка водонепроницаемая", "129.00"),
    ]),
    DOM_I_SAD: _products("DIS", [
        ("Шланг садовый армированный 25 м", "1490.00"), ("Семена томатов «Бычье сердце», 3 уп.", "249.00"),
        ("Горшок керамический 3 л", "890.00"), ("Секатор с храповым механизмом", "1190.00"),
        ("Комплект постельного белья евро, сатин", "3990.00"), ("Плед флисовый 150×200", "1290.00"),
        ("Органайзер для хранения, 3 шт.", "790.00"), ("Лейка садовая 10 л", "590.00"),
        ("Грунт универсальный 50 л", "690.00"), ("Подушка ортопедическая с эффектом памяти", "2490.00"),
        ("Шторы блэкаут 2×150×260", "3290.00"), ("Опрыскиватель садовый 5 л", "1590.00"),
    ]),
    TEKHNOMARKET: _products("TM", [
        ("Робот-пылесос с влажной уборкой", "18990.00"), ("Электрический чайник стеклянный 1,7 л", "2490.00"),
        ("Блендер погружной 1000 Вт", "4290.00"), ("Фен для волос с ионизацией", "3590.00"),
        ("Утюг с парогенератором", "6990.00"), ("Кофемолка электрическая", "1890.00"),
        ("Мультиварка 5 л", "5490.00"), ("Электробритва роторная", "4990.00"),
        ("Весы кухонные электронные", "990.00"), ("Увлажнитель воздуха ультразвуковой", "3290.00"),
    ]),
}

LOGINS = [
    Login("admin", "demo-admin-pass", "Admin", "", "", "superuser: Django admin, every shop, every setting"),
    Login("supervisor", "demo-supervisor-pass", "Олег", "Волков", "supervisors",
          "all 3 shops: reassign cases, approve claims, reports, edit carriers"),
    Login("agent", "demo-agent-pass", "Анна", "Ли", "agents", "all 3 shops: work cases, reply, internal notes, file claims"),
    Login("seller", "demo-seller-pass", "静", "陈", "shop staff",
          "Shenzhen Gadgets staff: its orders, parcels, tracking numbers, cases"),
]
