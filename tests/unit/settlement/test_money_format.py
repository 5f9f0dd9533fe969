from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from leadbridge.settlement.export import csv_rubles, rubles

kopecks = st.integers(min_value=-(10**15), max_value=10**15)


@given(kopecks)
def test_rubles_are_exact_kopecks(amount: int) -> None:
    shown = rubles(amount)
    assert shown * 100 == amount
    assert shown.as_tuple().exponent >= -2


@given(kopecks)
def test_the_csv_amount_reads_back_to_the_same_kopecks(amount: int) -> None:
    text = csv_rubles(amount)
    cents = text.partition(",")[2]
    assert len(cents) == 2
    assert Decimal(text.replace(",", ".")) * 100 == amount
