"""Apple device vocabulary, in the values Avito's phone and tablet ad forms use."""

from __future__ import annotations

from dataclasses import dataclass

CONDITIONS = ("Б/у", "Новое")
DEVICE_HISTORIES = ("Новый", "Восстановленный")
KIT_ITEMS = ("Коробка", "Блок зарядки", "Провод зарядки")

SCREEN_CONDITIONS = (
    "Без дефектов",
    "1–2 мелкие царапины",
    "Много мелких царапин",
    "Глубокие царапины",
    "Сколы, трещины",
    "Полосы и битые пиксели",
    "Пятна, блики или выгорание",
)
CASE_CONDITIONS = (
    "Без дефектов",
    "Мелкие царапины",
    "Глубокие царапины",
    "Сколы, трещины",
    "Щели, зазоры",
    "Изгиб",
    "Вмятины",
    "Отслоение краски",
)
DEFECTS: dict[str, tuple[str, ...]] = {
    "device": ("Не включается", "Не звонит", "Не работает сенсор"),
    "camera": ("Не работает вспышка", "Пятна под стеклом", "Трещины, сколы"),
    "battery": ("Не заряжается", "Вздут"),
    "sensors": (
        "GPS",
        "Wi-Fi",
        "Bluetooth",
        "Приближения к уху",
        "Сканер отпечатка",
        "Сканер лица",
    ),
    "functions": ("Микрофон", "Динамики", "Вибрация"),
}

_IPHONE_11_COLORS = ("черный", "белый", "красный", "желтый", "зеленый", "фиолетовый")
_IPHONE_11_PRO_COLORS = ("серый космос", "серебристый", "золотой", "темно-зеленый")
_IPHONE_12_COLORS = ("черный", "белый", "красный", "зеленый", "синий", "фиолетовый")
_IPHONE_12_PRO_COLORS = ("графитовый", "серебристый", "золотой", "тихоокеанский синий")
_IPHONE_13_COLORS = ("темная ночь", "сияющая звезда", "синий", "розовый", "красный", "зеленый")
_IPHONE_13_PRO_COLORS = (
    "графитовый",
    "серебристый",
    "золотой",
    "небесно-голубой",
    "альпийский зеленый",
)
_IPHONE_14_COLORS = ("темная ночь", "сияющая звезда", "синий", "фиолетовый", "желтый", "красный")
_IPHONE_14_PRO_COLORS = ("космический черный", "серебристый", "золотой", "темно-фиолетовый")
_IPHONE_15_COLORS = ("черный", "синий", "зеленый", "желтый", "розовый")
_IPHONE_15_PRO_COLORS = ("черный титан", "белый титан", "синий титан", "натуральный титан")
_IPHONE_16_COLORS = ("черный", "белый", "розовый", "бирюзовый", "ультрамарин")
_IPHONE_16_PRO_COLORS = ("черный титан", "белый титан", "натуральный титан", "пустынный титан")

_SMALL = ("64 ГБ", "128 ГБ", "256 ГБ")
_SMALL_PRO = ("64 ГБ", "256 ГБ", "512 ГБ")
_MID = ("128 ГБ", "256 ГБ", "512 ГБ")
_PRO = ("128 ГБ", "256 ГБ", "512 ГБ", "1 ТБ")
_PRO_MAX = ("256 ГБ", "512 ГБ", "1 ТБ")
_TABLET = ("64 ГБ", "256 ГБ")
_TABLET_PRO = ("128 ГБ", "256 ГБ", "512 ГБ", "1 ТБ", "2 ТБ")


@dataclass(frozen=True)
class DeviceModel:
    """One catalog model: what may be said about it and what it is worth used."""

    name: str
    category: str
    memories: tuple[str, ...]
    colors: tuple[str, ...]
    ram: str
    used_price_rub: int
    biometry: str

    def price_for(self, memory: str) -> int:
        """Typical used-market price in roubles for a memory size of this model."""
        steps = self.memories.index(memory)
        return round(self.used_price_rub * 1.12**steps)


def _phone(
    name: str, memories: tuple[str, ...], colors: tuple[str, ...], ram: str, price: int
) -> DeviceModel:
    return DeviceModel(name, "phone", memories, colors, ram, price, "Сканер лица")


def _tablet(
    name: str, memories: tuple[str, ...], colors: tuple[str, ...], ram: str, price: int
) -> DeviceModel:
    biometry = "Сканер лица" if name.startswith("iPad Pro") else "Сканер отпечатка"
    return DeviceModel(name, "tablet", memories, colors, ram, price, biometry)


MODELS: tuple[DeviceModel, ...] = (
    _phone("iPhone 11", _SMALL, _IPHONE_11_COLORS, "4 ГБ", 17_000),
    _phone("iPhone 11 Pro", _SMALL_PRO, _IPHONE_11_PRO_COLORS, "4 ГБ", 22_000),
    _phone("iPhone 11 Pro Max", _SMALL_PRO, _IPHONE_11_PRO_COLORS, "4 ГБ", 26_000),
    _phone("iPhone 12 mini", _SMALL, _IPHONE_12_COLORS, "4 ГБ", 20_000),
    _phone("iPhone 12", _SMALL, _IPHONE_12_COLORS, "4 ГБ", 25_000),
    _phone("iPhone 12 Pro", _MID, _IPHONE_12_PRO_COLORS, "6 ГБ", 32_000),
    _phone("iPhone 12 Pro Max", _MID, _IPHONE_12_PRO_COLORS, "6 ГБ", 37_000),
    _phone("iPhone 13 mini", _MID, _IPHONE_13_COLORS, "4 ГБ", 32_000),
    _phone("iPhone 13", _MID, _IPHONE_13_COLORS, "4 ГБ", 37_000),
    _phone("iPhone 13 Pro", _PRO, _IPHONE_13_PRO_COLORS, "6 ГБ", 47_000),
    _phone("iPhone 13 Pro Max", _PRO, _IPHONE_13_PRO_COLORS, "6 ГБ", 55_000),
    _phone("iPhone 14", _MID, _IPHONE_14_COLORS, "6 ГБ", 45_000),
    _phone("iPhone 14 Plus", _MID, _IPHONE_14_COLORS, "6 ГБ", 50_000),
    _phone("iPhone 14 Pro", _PRO, _IPHONE_14_PRO_COLORS, "6 ГБ", 62_000),
    _phone("iPhone 14 Pro Max", _PRO, _IPHONE_14_PRO_COLORS, "6 ГБ", 72_000),
    _phone("iPhone 15", _MID, _IPHONE_15_COLORS, "6 ГБ", 60_000),
    _phone("iPhone 15 Plus", _MID, _IPHONE_15_COLORS, "6 ГБ", 67_000),
    _phone("iPhone 15 Pro", _PRO, _IPHONE_15_PRO_COLORS, "8 ГБ", 80_000),
    _phone("iPhone 15 Pro Max", _PRO_MAX, _IPHONE_15_PRO_COLORS, "8 ГБ", 95_000),
    _phone("iPhone 16", _MID, _IPHONE_16_COLORS, "8 ГБ", 72_000),
    _phone("iPhone 16 Plus", _MID, _IPHONE_16_COLORS, "8 ГБ", 82_000),
    _phone("iPhone 16 Pro", _PRO, _IPHONE_16_PRO_COLORS, "8 ГБ", 98_000),
    _phone("iPhone 16 Pro Max", _PRO_MAX, _IPHONE_16_PRO_COLORS, "8 ГБ", 115_000),
    _tablet("iPad (9-го поколения)", _TABLET, ("серебристый", "серый космос"), "3 ГБ", 20_000),
    _tablet(
        "iPad (10-го поколения)",
        _TABLET,
        ("серебристый", "синий", "розовый", "желтый"),
        "4 ГБ",
        30_000,
    ),
    _tablet(
        "iPad mini (6-го поколения)",
        _TABLET,
        ("серый космос", "розовый", "фиолетовый", "сияющая звезда"),
        "4 ГБ",
        35_000,
    ),
    _tablet(
        "iPad Air (5-го поколения)",
        _TABLET,
        ("серый космос", "синий", "розовый", "фиолетовый", "сияющая звезда"),
        "8 ГБ",
        40_000,
    ),
    _tablet(
        "iPad Pro 11 (4-го поколения)",
        _TABLET_PRO,
        ("серебристый", "серый космос"),
        "8 ГБ",
        70_000,
    ),
    _tablet(
        "iPad Pro 12.9 (6-го поколения)",
        _TABLET_PRO,
        ("серебристый", "серый космос"),
        "8 ГБ",
        90_000,
    ),
)
MODELS_BY_NAME: dict[str, DeviceModel] = {model.name: model for model in MODELS}
