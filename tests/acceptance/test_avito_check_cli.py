"""`leadbridge avito check FILE.json` as a person runs it: how a sample payload maps, field by
field, under the mapping in force (`avito.mapping_file`) or the one given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.acceptance.test_cli import _leadbridge, clean_env  # noqa: F401  (fixture)

from leadbridge.config import DEFAULT_AVITO_MAPPING
from leadbridge.sandbox.avito import LeadFactory

ALTERNATIVE = 'path = ["buyoutPrice", { path = "offer.price", transform = "rubles_to_kopecks" }]'


def _sample(tmp_path: Path, name: str, body: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def _rows(stdout: str) -> dict[str, list[str]]:
    """field → [path, value] from the printed table."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3:
            rows[parts[0]] = parts[1:]
    return rows


def test_a_good_sample_is_shown_field_by_field(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    lead = LeadFactory(seed=5).make() | {"promo": {"code": "X"}}
    sample = _sample(tmp_path, "lead.json", lead)

    done = _leadbridge("avito", "check", str(sample), env=clean_env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert rows["id"] == ["id", json.dumps(lead["id"])]
    assert rows["buyout_price"] == ["buyoutPrice", str(lead["buyoutPrice"])]
    assert rows["city"] == [
        "location.city",
        json.dumps(lead["location"]["city"], ensure_ascii=False),
    ]
    assert f"mapping: {DEFAULT_AVITO_MAPPING}" in done.stdout
    assert 'unknown fields, kept: {"promo": {"code": "X"}}' in done.stdout
    assert done.stdout.rstrip().endswith(f"lead {lead['id']}: can be made")


def test_a_price_under_an_alternative_path_maps_with_a_copy_of_the_mapping(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    copy = tmp_path / "avito_mapping.toml"
    text = DEFAULT_AVITO_MAPPING.read_text(encoding="utf-8")
    copy.write_text(text.replace('path = "buyoutPrice"', ALTERNATIVE), encoding="utf-8")
    lead = {k: v for k, v in LeadFactory(seed=6).make().items() if k != "buyoutPrice"}
    envelope = {"id": "e-1", "payload": {"type": "lead.created", "lead": lead}}
    envelope["payload"]["lead"]["offer"] = {"price": 41_000.5}
    sample = _sample(tmp_path, "quarantined.json", envelope)
    env = {**clean_env, "LEADBRIDGE_AVITO__MAPPING_FILE": str(copy)}

    done = _leadbridge("avito", "check", str(sample), env=env, cwd=tmp_path)
    default = _leadbridge(
        "avito",
        "check",
        str(sample),
        "--mapping",
        str(DEFAULT_AVITO_MAPPING),
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert _rows(done.stdout)["buyout_price"] == ["offer.price", "4100050 (found 41000.5)"]
    assert "the lead is the webhook envelope's payload.lead" in done.stdout
    assert default.returncode == 2
    assert default.stderr.strip().splitlines()[-1] == (
        f"leadbridge: error: no lead can be made from {sample}: lead payload has no buyout price"
    )


def test_a_broken_sample_or_mapping_ends_in_one_line_with_exit_code_2(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    lead = LeadFactory(seed=7).make() | {"buyoutPrice": 10**30}
    sample = _sample(tmp_path, "poison.json", lead)
    bad_mapping = tmp_path / "bad.toml"
    text = DEFAULT_AVITO_MAPPING.read_text(encoding="utf-8")
    bad_mapping.write_text(text.replace('transform = "int"  # kopecks', 'transform = "rub"'))
    (tmp_path / "not.json").write_text("{", encoding="utf-8")

    refused = _leadbridge("avito", "check", str(sample), env=clean_env, cwd=tmp_path)
    bad = _leadbridge(
        "avito", "check", str(sample), "--mapping", str(bad_mapping), env=clean_env, cwd=tmp_path
    )
    unreadable = _leadbridge("avito", "check", "not.json", env=clean_env, cwd=tmp_path)

    assert refused.returncode == 2
    reason = "lead payload field 'buyoutPrice' is 1000000000000000000000000000000"
    last_line = refused.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"leadbridge: error: no lead can be made from {sample}: {reason}")
    assert f"REFUSED: {reason}" in _rows(refused.stdout)["buyout_price"][1]
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "leadbridge: error: avito mapping: lead.buyout_price.transform: unknown transform 'rub' "
        "(known for this field: int, rubles_to_kopecks)"
    )
    assert unreadable.returncode == 2
    assert unreadable.stderr.strip().startswith("leadbridge: error: cannot read not.json: ")
