"""IMEI numbers: 14 digits and a Luhn check digit."""

from __future__ import annotations

import random

# Type allocation codes of Apple devices; only the shape matters to the sandbox.
APPLE_TACS = ("35397110", "35328115", "35407115", "35676211", "35925406", "35391611")


def luhn_check_digit(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return (10 - total % 10) % 10


def is_valid_imei(value: str) -> bool:
    if len(value) != 15 or not value.isdigit():
        return False
    return luhn_check_digit(value[:14]) == int(value[14])


def make_imei(rng: random.Random) -> str:
    body = rng.choice(APPLE_TACS) + "".join(str(rng.randrange(10)) for _ in range(6))
    return body + str(luhn_check_digit(body))
