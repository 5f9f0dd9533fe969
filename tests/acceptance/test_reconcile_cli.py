"""`leadbridge reconcile` as a person runs it, against `leadbridge sandbox serve`."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.processes import sandbox_serve
from tests.acceptance.test_cli import _leadbridge, clean_env  # noqa: F401  (fixture)


def test_reconcile_needs_setup_then_prints_a_clean_summary(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    with sandbox_serve(tmp_path, clean_env) as credentials:
        avito, amocrm = credentials["avito"], credentials["amocrm"]
        env = {
            **clean_env,
            "LEADBRIDGE_AVITO__BASE_URL": avito["base_url"],
            "LEADBRIDGE_AVITO__CLIENT_ID": avito["client_id"],
            "LEADBRIDGE_AVITO__CLIENT_SECRET": avito["client_secret"],
            "LEADBRIDGE_AMOCRM__BASE_URL": amocrm["base_url"],
            "LEADBRIDGE_AMOCRM__CLIENT_ID": amocrm["client_id"],
            "LEADBRIDGE_AMOCRM__CLIENT_SECRET": amocrm["client_secret"],
            "LEADBRIDGE_AMOCRM__REDIRECT_URI": amocrm["redirect_uri"],
            "LEADBRIDGE_AMOCRM__AUTH_CODE": amocrm["auth_code"],
        }
        early = _leadbridge("reconcile", env=env, cwd=tmp_path)
        assert early.returncode == 2
        # The first command on a fresh database may first say where it made the key file.
        assert early.stderr.strip().splitlines()[-1] == (
            "leadbridge: error: amoCRM pipeline not provisioned: run `leadbridge setup`"
        )

        assert _leadbridge("setup", env=env, cwd=tmp_path).returncode == 0
        done = _leadbridge("reconcile", "--fix", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("reconciliation run 1: 0 leads, 0 deals listed in 1 amoCRM requests")
    assert [line.split() for line in lines[1:]] == [
        ["missing_in_crm", "0"],
        ["missing_in_avito", "0"],
        ["status_mismatch", "0"],
        ["amount_mismatch", "0"],
    ]
