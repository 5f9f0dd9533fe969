import pytest

from leadbridge.sandbox.avito import StatusDictionary

STATUSES = StatusDictionary()


def test_first_status_must_be_accepted() -> None:
    assert STATUSES.allowed_after(None) == ("accepted",)


@pytest.mark.parametrize(
    ("current", "following"),
    [
        ("accepted", "contacted"),
        ("contacted", "price_agreed"),
        ("price_agreed", "pickup_scheduled"),
        ("pickup_scheduled", "device_received"),
        ("device_received", "bought_out"),
    ],
)
def test_chain_allows_only_the_next_step_and_exits(current: str, following: str) -> None:
    assert STATUSES.allowed_after(current) == (following, "rejected", "cancelled")


def test_only_returned_follows_bought_out() -> None:
    assert STATUSES.allowed_after("bought_out") == ("returned",)


@pytest.mark.parametrize("status", ["rejected", "cancelled", "returned"])
def test_nothing_follows_a_terminal_status(status: str) -> None:
    assert STATUSES.is_terminal(status)
    assert STATUSES.allowed_after(status) == ()


def test_skipping_is_forbidden() -> None:
    assert not STATUSES.allows("accepted", "price_agreed")
    assert not STATUSES.allows(None, "contacted")
    assert not STATUSES.allows("contacted", "returned")


def test_a_custom_dictionary_is_honoured() -> None:
    custom = StatusDictionary(chain=("new", "done"), exits=("dropped",), reversals={})
    assert custom.allowed_after(None) == ("new",)
    assert custom.allowed_after("new") == ("done", "dropped")
    assert custom.allowed_after("done") == ()
