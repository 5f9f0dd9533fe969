"""Sellers: Russian names, mobile numbers and the cities they sell from."""

from __future__ import annotations

import random

CITY_SLUGS: dict[str, str] = {
    "Москва": "moskva",
    "Санкт-Петербург": "sankt-peterburg",
    "Новосибирск": "novosibirsk",
    "Екатеринбург": "ekaterinburg",
    "Казань": "kazan",
    "Нижний Новгород": "nizhniy_novgorod",
    "Челябинск": "chelyabinsk",
    "Самара": "samara",
    "Омск": "omsk",
    "Ростов-на-Дону": "rostov-na-donu",
    "Уфа": "ufa",
    "Красноярск": "krasnoyarsk",
    "Воронеж": "voronezh",
    "Пермь": "perm",
    "Волгоград": "volgograd",
    "Краснодар": "krasnodar",
    "Тюмень": "tyumen",
    "Владивосток": "vladivostok",
}
CITIES = tuple(CITY_SLUGS)
# Moscow and Saint Petersburg dominate the used-phone market; the rest share the remainder.
CITY_WEIGHTS = (30, 15) + (3,) * (len(CITIES) - 2)

MALE_NAMES = (
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Иван",
)
FEMALE_NAMES = (
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Екатерина",
    "Татьяна",
    "Дарья",
    "Юлия",
    "Ксения",
    "Алина",
    "Виктория",
)
SURNAMES = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Лебедев",
    "Козлов",
)


def seller_name(rng: random.Random) -> str:
    """A name as sellers show it on Avito: a first name, sometimes with a surname."""
    female = rng.random() < 0.45
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    if rng.random() < 0.5:
        return first
    surname = rng.choice(SURNAMES)
    return f"{first} {surname}а" if female else f"{first} {surname}"


def mobile_phone(rng: random.Random) -> str:
    """A Russian mobile number in E.164: +79XXXXXXXXX."""
    return "+79" + "".join(str(rng.randrange(10)) for _ in range(9))


def city(rng: random.Random) -> str:
    return rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
