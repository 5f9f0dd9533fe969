"""The configuration mistakes outside testers made (issue 18): each is refused at start by the real
command in one line on stderr that names the key, with exit code 2 and no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from tests.acceptance.processes import LEADBRIDGE, free_port, sandbox_serve
from tests.deploy.files import EXAMPLE_TOML
from tests.deploy.test_example_settings import uncommented

from leadbridge.config import DEFAULT_AVITO_MAPPING, DEFAULT_FUNNEL
from leadbridge.security.crypto import TokenCipher, new_key


def _leadbridge(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADBRIDGE, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start prints, after checking it is one line, exit 2."""
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("leadbridge: error: ")
    return lines[0]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No LEADBRIDGE_* variable of the machine; a SQLite file and a key of this test's own."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    clean["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bridge.db'}"
    clean["LEADBRIDGE_SECURITY__TOKEN_KEYS"] = new_key()
    return clean


def _partners(port: int) -> dict[str, str]:
    """Complete credentials of both partners, on a port where nothing listens."""
    return {
        "LEADBRIDGE_AMOCRM__BASE_URL": f"http://127.0.0.1:{port}",
        "LEADBRIDGE_AMOCRM__CLIENT_ID": "amo-client",
        "LEADBRIDGE_AMOCRM__CLIENT_SECRET": "amo-secret",
        "LEADBRIDGE_AMOCRM__REDIRECT_URI": "https://bridge.example.com/oauth/amocrm",
        "LEADBRIDGE_AMOCRM__AUTH_CODE": "a-code",
        "LEADBRIDGE_AVITO__BASE_URL": f"http://127.0.0.1:{port}",
        "LEADBRIDGE_AVITO__CLIENT_ID": "avito-client",
        "LEADBRIDGE_AVITO__CLIENT_SECRET": "avito-secret",
        "LEADBRIDGE_WEB__PORT": str(free_port()),
        "LEADBRIDGE_WEB__PUBLIC_URL": "https://bridge.example.com",
        "LEADBRIDGE_WEB__WEBHOOK_TOKEN": "a-long-random-webhook-token-0123456789",
    }


@pytest.mark.parametrize(
    ("table", "line", "key", "meant"),
    [
        ("amocrm", "acount_id = 1", "amocrm.acount_id", "account_id"),
        ("web", 'trusted_proxie = ["127.0.0.1"]', "web.trusted_proxie", "trusted_proxies"),
    ],
)
def test_a_misspelt_key_in_a_table_of_the_file_is_named(
    env: dict[str, str], tmp_path: Path, table: str, line: str, key: str, meant: str
) -> None:
    config = tmp_path / "leadbridge.toml"
    config.write_text(f"[{table}]\n{line}\n", encoding="utf-8")

    done = _leadbridge("--config", str(config), "db", "upgrade", env=env, cwd=tmp_path)

    assert _refused(done) == (
        f"leadbridge: error: bad setting {key}: unknown setting (did you mean {meant}?)"
    )


def test_a_misspelt_key_of_a_table_in_the_environment_is_named(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["LEADBRIDGE_AMOCRM__ACOUNT_ID"] = "1"

    done = _leadbridge("db", "upgrade", env=env, cwd=tmp_path)

    assert _refused(done) == (
        "leadbridge: error: bad setting amocrm.acount_id (LEADBRIDGE_AMOCRM__ACOUNT_ID): "
        "unknown setting (did you mean account_id?)"
    )


def test_other_programs_variables_with_the_prefix_are_left_alone(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The tests', the benches' and the file's own variables are no settings, and no mistake."""
    config = tmp_path / "leadbridge.toml"
    config.write_text('log_level = "WARNING"\n', encoding="utf-8")
    env |= {
        "LEADBRIDGE_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
        "LEADBRIDGE_BENCH_POSTGRES_URL": "postgresql://postgres@127.0.0.1/postgres",
        "LEADBRIDGE_CHAOS_LEADS": "10",
        "LEADBRIDGE_CONFIG": str(config),
    }

    done = _leadbridge("db", "upgrade", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database at revision ")


@pytest.mark.parametrize(
    ("key", "host"),
    [
        ("amocrm.base_url", "example.amocrm.ru"),
        ("avito.base_url", "api.avito.ru"),
        ("web.public_url", "bridge.example.com"),
    ],
)
def test_a_url_without_its_scheme_is_refused_at_start(
    env: dict[str, str], tmp_path: Path, key: str, host: str
) -> None:
    table, name = key.split(".")
    config = tmp_path / "leadbridge.toml"
    config.write_text(f'[{table}]\n{name} = "{host}"\n', encoding="utf-8")

    done = _leadbridge("--config", str(config), "run", env=env, cwd=tmp_path)

    line = _refused(done)
    assert line.startswith(f"leadbridge: error: bad setting {key}: '{host}' ")
    assert f"https://{host}" in line
    assert not (tmp_path / "bridge.db").exists()  # refused before the database is touched


@pytest.mark.parametrize("partner", ["amocrm", "avito"])
@pytest.mark.parametrize("command", ["run", "worker"])
def test_an_empty_client_secret_is_refused_before_any_call(
    env: dict[str, str], tmp_path: Path, partner: str, command: str
) -> None:
    env |= _partners(free_port())
    env[f"LEADBRIDGE_{partner.upper()}__CLIENT_SECRET"] = ""

    done = _leadbridge(command, env=env, cwd=tmp_path)

    line = _refused(done)
    assert line.startswith(f"leadbridge: error: bad setting {partner}.client_secret: empty")
    assert not (tmp_path / "bridge.db").exists()  # nothing was opened, nothing was called


def test_an_encrypted_secret_is_opened_before_it_is_checked(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Encrypted (`leadbridge keys encrypt`) secrets keep working: a sealed secret counts as set,
    a sealed empty one as empty."""
    cipher = TokenCipher.from_setting(env["LEADBRIDGE_SECURITY__TOKEN_KEYS"])
    env |= _partners(free_port())
    env["LEADBRIDGE_AVITO__CLIENT_SECRET"] = cipher.seal("avito-secret")
    env["LEADBRIDGE_AMOCRM__CLIENT_SECRET"] = cipher.seal("")
    assert env["LEADBRIDGE_AVITO__CLIENT_SECRET"].startswith("fernet:")

    done = _leadbridge("setup", env=env, cwd=tmp_path)

    assert _refused(done).startswith("leadbridge: error: bad setting amocrm.client_secret: empty")

    env["LEADBRIDGE_AMOCRM__CLIENT_SECRET"] = cipher.seal("amo-secret")
    env["LEADBRIDGE_AVITO__CLIENT_SECRET"] = cipher.seal("")
    done = _leadbridge("worker", env=env, cwd=tmp_path)

    assert _refused(done).startswith("leadbridge: error: bad setting avito.client_secret: empty")


@pytest.mark.parametrize(
    "command", [("run",), ("web",), ("worker",), ("db", "upgrade"), ("setup",)]
)
def test_an_unreachable_database_is_named_with_its_password_masked(
    env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    port = free_port()
    env |= _partners(free_port())
    env["LEADBRIDGE_DATABASE_URL"] = f"postgresql://bridge:s3cret-pw@127.0.0.1:{port}/leadbridge"

    done = _leadbridge(*command, env=env, cwd=tmp_path)

    line = _refused(done)
    assert line.startswith(
        f"leadbridge: error: database postgresql://bridge:***@127.0.0.1:{port}/leadbridge "
        "unavailable: "
    )
    assert "refused" in line.lower()
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_a_used_amocrm_authorization_code_asks_for_a_new_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    with sandbox_serve(tmp_path, env) as credentials:
        amocrm = credentials["amocrm"]
        first = httpx.post(
            amocrm["base_url"] + "/oauth2/access_token",
            json={
                "client_id": amocrm["client_id"],
                "client_secret": amocrm["client_secret"],
                "grant_type": "authorization_code",
                "code": amocrm["auth_code"],
                "redirect_uri": amocrm["redirect_uri"],
            },
        )
        assert first.status_code == 200  # the code is used up now
        env |= {
            "LEADBRIDGE_AMOCRM__BASE_URL": amocrm["base_url"],
            "LEADBRIDGE_AMOCRM__CLIENT_ID": amocrm["client_id"],
            "LEADBRIDGE_AMOCRM__CLIENT_SECRET": amocrm["client_secret"],
            "LEADBRIDGE_AMOCRM__REDIRECT_URI": amocrm["redirect_uri"],
        }

        done = _leadbridge("auth", "amocrm", "--code", amocrm["auth_code"], env=env, cwd=tmp_path)

    line = _refused(done)
    assert line.startswith("leadbridge: error: amoCRM refused the authorization code (400: ")
    assert "get a new code from the integration's settings" in line
    assert "amocrm.auth_code" in line


def test_every_key_of_the_example_loads_also_those_commented_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    """deploy/leadbridge.example.toml with every commented key made active, its example paths
    pointed at copies here, as the configuration of a real command."""
    shutil.copy(DEFAULT_FUNNEL, tmp_path / "funnel.toml")
    shutil.copy(DEFAULT_AVITO_MAPPING, tmp_path / "avito_mapping.toml")
    text = uncommented(EXAMPLE_TOML.read_text(encoding="utf-8"))
    for example in (
        "/etc/leadbridge/funnel.toml",
        "/etc/leadbridge/avito_mapping.toml",
        "/var/lib/leadbridge/secrets.key",
    ):
        assert example in text
        text = text.replace(example, str(tmp_path / Path(example).name))
    config = tmp_path / "leadbridge.toml"
    config.write_text(text, encoding="utf-8")

    done = _leadbridge("--config", str(config), "db", "upgrade", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database at revision ")
