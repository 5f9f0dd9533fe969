from leadbridge.sandbox.avito import LeadFactory, StatusDictionary
from leadbridge.sandbox.avito.evolution import (
    RENAMED_ENUMS,
    EvolutionSwitches,
    dictionary_for,
    evolve_answer,
    evolve_lead,
    move_on_its_own,
)
from leadbridge.sandbox.avito.state import HistoryEntry, LeadRecord

ALL_ON = EvolutionSwitches(
    extra_fields=True, new_status=True, renamed_enums=True, status_comment=True
)


def test_switches_off_change_nothing() -> None:
    lead = LeadFactory(seed=1).make()
    assert evolve_lead(lead, EvolutionSwitches()) == lead
    assert evolve_answer({"result": "success"}, EvolutionSwitches()) == {"result": "success"}
    assert dictionary_for(StatusDictionary(), EvolutionSwitches()) == StatusDictionary()


def test_extra_fields_are_added_without_touching_known_ones() -> None:
    lead = LeadFactory(seed=1).make()
    evolved = evolve_lead(lead, EvolutionSwitches(extra_fields=True))
    assert {key: evolved[key] for key in lead} == {**lead, "device": evolved["device"]}
    assert {"promo", "sellerRating", "inspectionSlot"} <= evolved.keys() - lead.keys()
    assert {"esim", "activationLock"} == evolved["device"].keys() - lead["device"].keys()
    assert evolve_lead(lead, EvolutionSwitches(extra_fields=True)) == evolved


def test_renamed_enums_replace_the_old_spelling() -> None:
    factory = LeadFactory(seed=3)
    leads = [factory.make() for _ in range(40)]
    renamed = [evolve_lead(lead, EvolutionSwitches(renamed_enums=True)) for lead in leads]
    for field, renames in RENAMED_ENUMS.items():
        assert not {lead["device"][field] for lead in renamed} & renames.keys()
    assert any(lead["device"]["screenCondition"] == "Идеальное" for lead in renamed)


def test_new_status_is_an_optional_detour_of_the_chain() -> None:
    statuses = dictionary_for(StatusDictionary(), ALL_ON)
    assert statuses.allowed_after("device_received") == (
        "inspection_scheduled",
        "bought_out",
        "rejected",
        "cancelled",
    )
    assert statuses.allowed_after("inspection_scheduled") == ("bought_out", "rejected", "cancelled")
    assert not statuses.is_terminal("inspection_scheduled")
    assert statuses.is_known("inspection_scheduled")


def test_avito_moves_a_lead_into_the_new_status_after_the_one_it_follows() -> None:
    record = LeadRecord(position=1, payload={"id": "b-1"})
    record.history.append(HistoryEntry("pickup_scheduled", "t", "t", "k4"))
    move_on_its_own(record, ALL_ON)
    assert record.status == "pickup_scheduled"
    record.history.append(HistoryEntry("device_received", "t", "t", "k5"))
    move_on_its_own(record, ALL_ON)
    assert record.status == "inspection_scheduled"
    assert record.history[-1].idempotency_key == "avito:b-1:inspection_scheduled"
