from leadbridge.domain.read_back import already_reached

CHAIN = ("accepted", "contacted", "price_agreed")


def test_the_same_or_a_later_status_means_it_arrived() -> None:
    assert already_reached(CHAIN, current="contacted", wanted="contacted")
    assert already_reached(CHAIN, current="price_agreed", wanted="accepted")


def test_an_earlier_none_or_unknown_status_means_send_it() -> None:
    assert not already_reached(CHAIN, current="accepted", wanted="contacted")
    assert not already_reached(CHAIN, current=None, wanted="accepted")
    assert not already_reached(CHAIN, current="rejected", wanted="accepted")
    assert already_reached(CHAIN, current="rejected", wanted="rejected")
