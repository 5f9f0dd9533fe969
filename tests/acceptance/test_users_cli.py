"""`leadbridge users …` and `leadbridge keys …`, run as the real command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.acceptance.processes import LEADBRIDGE


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    clean["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leadbridge.db'}"
    return clean


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADBRIDGE, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )


def test_users_are_added_listed_and_removed(env: dict[str, str]) -> None:
    assert _run(env, "db", "upgrade").returncode == 0
    added = _run(
        env,
        "users",
        "add",
        "fin",
        "--role",
        "finance",
        "--password-stdin",
        stdin="pw-long-enough\n",
    )
    assert added.returncode == 0, added.stderr

    listed = _run(env, "users", "list")
    assert listed.stdout.split("\t")[:2] == ["fin", "finance"]
    assert "pw-long-enough" not in listed.stdout

    changed = _run(env, "users", "password", "fin", "--password-stdin", stdin="another-password\n")
    assert changed.returncode == 0, changed.stderr

    assert _run(env, "users", "remove", "fin").returncode == 0
    assert _run(env, "users", "list").stdout == ""


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "x", "--role", "boss", "--password-stdin"],
            "pw-long-enough",
            "unknown role",
        ),
        (["users", "add", "x", "--role", "admin", "--password-stdin"], "short", "at least 8"),
        (
            ["users", "add", "a b", "--role", "admin", "--password-stdin"],
            "pw-long-enough",
            "user name",
        ),
        (["users", "remove", "nobody"], "", "no user"),
        (["users", "password", "nobody", "--password-stdin"], "pw-long-enough", "no user"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    env: dict[str, str], args: list[str], stdin: str, message: str
) -> None:
    assert _run(env, "db", "upgrade").returncode == 0
    failed = _run(env, *args, stdin=stdin)
    assert failed.returncode == 2
    assert message in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert _run(env, "users", "list").stdout == ""


def test_without_migrations_the_command_says_what_to_run(env: dict[str, str]) -> None:
    failed = _run(env, "users", "list")
    assert failed.returncode == 2
    assert "leadbridge db upgrade" in failed.stderr


def test_a_generated_key_is_accepted_as_the_token_key(env: dict[str, str]) -> None:
    assert _run(env, "db", "upgrade").returncode == 0
    key = _run(env, "keys", "generate").stdout.strip()
    done = _run({**env, "LEADBRIDGE_SECURITY__TOKEN_KEYS": key}, "keys", "reencrypt")
    assert done.returncode == 0, done.stderr
    bad = _run({**env, "LEADBRIDGE_SECURITY__TOKEN_KEYS": "nonsense"}, "keys", "reencrypt")
    assert bad.returncode == 2
    assert "nonsense" not in bad.stderr


def test_an_encrypted_client_secret_is_accepted_in_the_configuration(env: dict[str, str]) -> None:
    key = _run(env, "keys", "generate").stdout.strip()
    keyed = {**env, "LEADBRIDGE_SECURITY__TOKEN_KEYS": key}
    sealed = _run(keyed, "keys", "encrypt", stdin="amo-client-secret\n").stdout.strip()
    assert sealed.startswith("fernet:")
    assert "amo-client-secret" not in sealed
    assert _run(env, "keys", "encrypt", stdin="x\n").returncode == 2  # no key set

    assert _run(keyed, "db", "upgrade").returncode == 0
    with_sealed = {**keyed, "LEADBRIDGE_AMOCRM__CLIENT_SECRET": sealed}
    assert _run(with_sealed, "users", "list").returncode == 0
    unopenable = {**env, "LEADBRIDGE_AMOCRM__CLIENT_SECRET": sealed}
    refused = _run(unopenable, "users", "list")
    assert refused.returncode == 2
    assert "token_keys" in refused.stderr
