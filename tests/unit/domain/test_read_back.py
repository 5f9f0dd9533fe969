from leadbridge.domain.read_back import already_reached, unknown_status

CHAIN = ("accepted", "contacted", "price_agreed")


def test_the_same_or_a_later_status_means_it_arrived() -> None:
    assert already_reached(CHAIN, current="contacted", wanted="contacted")
    assert already_reached(CHAIN, current="price_agreed", wanted="accepted")


def test_an_earlier_none_or_unknown_status_means_send_it() -> None:
    assert not already_reached(CHAIN, current="accepted", wanted="contacted")
    assert not already_reached(CHAIN, current=None, wanted="accepted")
    assert not already_reached(CHAIN, current="rejected", wanted="accepted")
    assert already_reached(CHAIN, current="rejected", wanted="rejected")


def test_a_status_that_is_none_of_ours_is_unknown() -> None:
    known = {*CHAIN, "rejected"}
    assert unknown_status(known, reported="inspection_scheduled", sent="contacted")
    assert not unknown_status(known, reported="rejected", sent="contacted")
    assert not unknown_status(known, reported=None, sent="contacted")
    assert not unknown_status(known, reported="returned", sent="returned")  # what we sent
    assert not unknown_status((), reported="inspection_scheduled", sent="contacted")
