"""Who sees personal data, and what the others see instead."""

from __future__ import annotations

import pytest

from leadbridge.security.roles import mask_name, mask_phone, permits, sees_personal_data


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_roles_working_with_sellers_see_them(role: str) -> None:
    assert sees_personal_data(role)
    assert mask_phone("+79161234512", role) == "+79161234512"
    assert mask_name("Иван Петров", role) == "Иван Петров"


@pytest.mark.parametrize("role", ["finance", "", "unknown"])
def test_other_roles_see_only_a_trace(role: str) -> None:
    masked = mask_phone("+79161234512", role)
    assert masked == "+7 *** ***-**-12"
    assert "916" not in masked
    assert mask_name("Иван Петров", role) == "И***"


def test_admin_passes_every_check_and_others_only_their_own() -> None:
    assert permits("admin", ("finance",))
    assert permits("finance", ("operator", "finance"))
    assert not permits("operator", ("finance",))


def test_missing_values_stay_empty() -> None:
    assert mask_phone(None, "finance") == mask_name("", "finance") == ""
