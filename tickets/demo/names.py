"""People and places of the demo world: buyers' names, Russian delivery cities, Chinese origins.

Plain data, no Django: every list is read by index or through the demo's seeded generators.
"""

from __future__ import annotations

from typing import NamedTuple


class Person(NamedTuple):
    first_name: str
    last_name: str
    recipient: str  # how the name is written on a Russian parcel label
    username: str


class City(NamedTuple):
    name: str
    region: str
    postal_prefix: str  # first three digits of the city's postal codes
    hub: str  # the sorting centre parcels for this city pass through


# (Cyrillic, Latin): male first names and the matching -ов/-ин/-ев surnames; women add -а.
RU_MALE = [("Иван", "ivan"), ("Алексей", "aleksei"), ("Дмитрий", "dmitrii"), ("Сергей", "sergei"), ("Андрей", "andrei"),
           ("Михаил", "mikhail"), ("Никита", "nikita"), ("Павел", "pavel"), ("Артём", "artem"), ("Егор", "egor")]
RU_FEMALE = [("Анна", "anna"), ("Мария", "mariia"), ("Ольга", "olga"), ("Елена", "elena"), ("Наталья", "natalia"),
             ("Татьяна", "tatiana"), ("Ксения", "kseniia"), ("Дарья", "daria"), ("Юлия", "iuliia"), ("Светлана", "svetlana")]
RU_SURNAMES = [("Петров", "petrov"), ("Смирнов", "smirnov"), ("Кузнецов", "kuznetsov"), ("Попов", "popov"),
               ("Соколов", "sokolov"), ("Лебедев", "lebedev"), ("Козлов", "kozlov"), ("Новиков", "novikov"),
               ("Морозов", "morozov"), ("Волков", "volkov"), ("Фёдоров", "fedorov"), ("Орлов", "orlov"),
               ("Зайцев", "zaitsev"), ("Белов", "belov"), ("Гусев", "gusev"), ("Титов", "titov"), ("Ильин", "ilin")]

# (characters, pinyin, Palladius Cyrillic): Chinese buyers living in Russia sign parcels in Cyrillic.
CN_SURNAMES = [("王", "wang", "Ван"), ("李", "li", "Ли"), ("张", "zhang", "Чжан"), ("刘", "liu", "Лю"), ("陈", "chen", "Чэнь"),
               ("杨", "yang", "Ян"), ("赵", "zhao", "Чжао"), ("黄", "huang", "Хуан"), ("周", "zhou", "Чжоу"), ("吴", "wu", "У")]
CN_GIVEN = [("伟", "wei", "Вэй"), ("芳", "fang", "Фан"), ("娜", "na", "На"), ("敏", "min", "Минь"), ("静", "jing", "Цзин"),
            ("磊", "lei", "Лэй"), ("强", "qiang", "Цян"), ("洋", "yang", "Ян"), ("艳", "yan", "Янь"), ("杰", "jie", "Цзе"),
            ("涛", "tao", "Тао"), ("明", "ming", "Мин"), ("丽", "li", "Ли"), ("婷", "ting", "Тин"), ("浩然", "haoran", "Хаожань")]

CITIES = [
    City("Москва", "Москва", "125", "Москва МСЦ"),
    City("Санкт-Петербург", "Санкт-Петербург", "190", "Санкт-Петербург МСЦ"),
    City("Новосибирск", "Новосибирская область", "630", "Новосибирск МСЦ"),
    City("Екатеринбург", "Свердловская область", "620", "Екатеринбург МСЦ"),
    City("Казань", "Республика Татарстан", "420", "Казань МСЦ"),
    City("Нижний Новгород", "Нижегородская область", "603", "Нижний Новгород МСЦ"),
    City("Самара", "Самарская область", "443", "Самара МСЦ"),
    City("Краснодар", "Краснодарский край", "350", "Краснодар МСЦ"),
    City("Ростов-на-Дону", "Ростовская область", "344", "Ростов-на-Дону МСЦ"),
    City("Уфа", "Республика Башкортостан", "450", "Уфа МСЦ"),
    City("Пермь", "Пермский край", "614", "Пермь МСЦ"),
    City("Воронеж", "Воронежская область", "394", "Воронеж МСЦ"),
    City("Владивосток", "Приморский край", "690", "Владивосток МСЦ"),
    City("Хабаровск", "Хабаровский край", "680", "Хабаровск МСЦ"),
    City("Калининград", "Калининградская область", "236", "Калининград МСЦ"),
    City("Красноярск", "Красноярский край", "660", "Красноярск МСЦ"),
    City("Тюмень", "Тюменская область", "625", "Тюмень МСЦ"),
    City("Иркутск", "Иркутская область", "664", "Иркутск МСЦ"),
    City("Подольск", "Московская область", "142", "Подольск МСЦ"),
    City("Химки", "Московская область", "141", "Москва МСЦ"),
]
STREETS = ["ул. Ленина", "пр. Мира", "ул. Садовая", "ул. Гагарина", "ул. Пушкина", "ул. Советская", "ул. Молодёжная",
           "ул. Центральная", "ул. Школьная", "ул. Лесная", "Комсомольский пр.", "ул. Победы", "ул. Строителей"]

# Where cross-border parcels start, and the air or land lanes they take into Russia.
CN_ORIGINS = ["Shenzhen", "Guangzhou", "Yiwu", "Dongguan", "Hangzhou", "Shanghai"]
CN_LANES = [  # (export point, arrival in Russia, customs post, first sorting centre)
    ("Guangzhou Baiyun Airport", "Москва, аэропорт Внуково", "Внуковская таможня", "Внуково АОПП"),
    ("Shenzhen Bao'an Airport", "Москва, аэропорт Шереметьево", "Шереметьевская таможня", "Москва МСЦ"),
    ("Manzhouli Border Port", "Забайкальск, МАПП", "Читинская таможня", "Чита МСЦ"),
    ("Harbin Exchange Office", "Новосибирск, аэропорт Толмачёво", "Толмачёвская таможня", "Новосибирск МСЦ"),
]
# Sellers' and Ozon's warehouses in Russia: where FBS parcels leave from and returns go back to.
RU_WAREHOUSES = ["Подольск", "Москва", "Химки"]
OZON_WAREHOUSES = ["Хоругвино", "Пушкино", "Ногинск", "Тверь", "Казань", "Екатеринбург", "Санкт-Петербург, Шушары"]


def ru_person(index: int) -> Person:
    """A Russian buyer; the index alone decides the name, so reruns agree."""
    female = index % 2 == 1
    first, first_lat = (RU_FEMALE if female else RU_MALE)[(index // 2) % 10]
    last, last_lat = RU_SURNAMES[(index * 7) % len(RU_SURNAMES)]
    if female:
        last, last_lat = last + "а", last_lat + "a"
    return Person(first, last, f"{first} {last}", f"{first_lat}.{last_lat}")


def cn_person(index: int) -> Person:
    last, last_lat, last_cyr = CN_SURNAMES[index % len(CN_SURNAMES)]
    first, first_lat, first_cyr = CN_GIVEN[(index * 4 + 1) % len(CN_GIVEN)]
    return Person(first, last, f"{last_cyr} {first_cyr}", f"{last_lat}.{first_lat}")
