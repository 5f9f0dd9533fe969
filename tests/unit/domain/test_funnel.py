from __future__ import annotations

import tomllib
from typing import Any

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.funnel import Funnel, FunnelError


def _raw() -> dict[str, Any]:
    with DEFAULT_FUNNEL.open("rb") as handle:
        return tomllib.load(handle)


def test_default_funnel_has_the_fifteen_stages_and_fixed_closing_ids() -> None:
    funnel = load_funnel(DEFAULT_FUNNEL)

    assert len(funnel.stages) == 15
    assert funnel.stage("won").amocrm_status_id == 142
    assert funnel.stage("lost").amocrm_status_id == 143
    assert len(funnel.working_stages) == 13
    assert funnel.commission_status == "bought_out"


def test_stage_status_is_inherited_until_the_next_stage_that_names_one() -> None:
    funnel = load_funnel(DEFAULT_FUNNEL)
    assert funnel.implied_status("taken") == "accepted"
    assert funnel.implied_status("in_transit") == "pickup_scheduled"
    assert funnel.implied_status("won") == "bought_out"
    assert funnel.implied_status("lost") is None


def test_unknown_status_in_a_stage_is_refused() -> None:
    raw = _raw()
    raw["stages"][2]["avito_status"] = "teleported"
    with pytest.raises(FunnelError, match="teleported"):
        Funnel.from_mapping(raw)


def test_duplicate_stage_keys_are_refused() -> None:
    raw = _raw()
    raw["stages"][1]["key"] = raw["stages"][0]["key"]
    with pytest.raises(FunnelError, match="unique"):
        Funnel.from_mapping(raw)


def test_a_renamed_status_in_the_chain_is_just_configuration() -> None:
    raw = _raw()
    raw["avito"]["chain"][1] = "seller_contacted"
    for stage in raw["stages"]:
        if stage.get("avito_status") == "contacted":
            stage["avito_status"] = "seller_contacted"
    funnel = Funnel.from_mapping(raw)
    assert funnel.implied_status("negotiation") == "seller_contacted"
