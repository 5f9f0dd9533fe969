"""deploy/leadbridge.example.toml and leadbridge.example.env: real settings, loaded by the
project's own loader, and no secret in the TOML file."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from leadbridge.cli.common import load_settings
from leadbridge.config import Settings
from leadbridge.security.crypto import new_key
from tests.deploy.files import EXAMPLE_ENV, EXAMPLE_TOML, VENV_LEADBRIDGE, env_file_values

# A commented setting of the example ("# key = value") or a commented table header.
COMMENTED_SETTING = re.compile(r"^# ?(\[\[?[a-z_.]+\]\]?|[a-z_]+ = .+)$")
ENV_NAME = re.compile(r"\bLEADBRIDGE_[A-Z_]+[A-Z]\b")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No LEADBRIDGE_* variable of the machine leaks into the settings under test."""
    for name in list(os.environ):
        if name.startswith("LEADBRIDGE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def uncommented(text: str) -> str:
    """The example with every commented setting and table header made active."""
    lines = []
    for line in text.splitlines():
        match = COMMENTED_SETTING.match(line)
        lines.append(match.group(1) if match else line)
    return "\n".join(lines) + "\n"


def only_commented(text: str) -> str:
    """Just the commented settings, under their tables: what the example says the defaults are."""
    lines = []
    for line in text.splitlines():
        match = COMMENTED_SETTING.match(line)
        if line.startswith("[") or match:
            lines.append(match.group(1) if match else line)
    return "\n".join(lines) + "\n"


def model_of(info: FieldInfo) -> type[BaseModel] | None:
    """The settings model a field holds (or holds a list of), if any."""
    annotation = info.annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def unknown_keys(table: dict[str, Any], model: type[BaseModel], where: str = "") -> list[str]:
    """Every key of `table` that `model` has no field for, as a dotted path."""
    unknown = []
    for key, value in table.items():
        path = f"{where}{key}"
        if key not in model.model_fields:
            unknown.append(path)
            continue
        inner = model_of(model.model_fields[key])
        if inner is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            unknown += unknown_keys(item, inner, f"{path}.")
    return unknown


def field_for_env(name: str) -> FieldInfo:
    """The setting LEADBRIDGE_A__B names, or a failed assertion saying it is none."""
    model: type[BaseModel] | None = Settings
    info: FieldInfo | None = None
    for part in name.removeprefix("LEADBRIDGE_").lower().split("__"):
        assert model is not None, f"{name} is no setting"
        assert part in model.model_fields, f"{name} is no setting"
        info = model.model_fields[part]
        model = model_of(info)
    assert info is not None
    return info


def secret_values(settings: BaseModel, where: str = "") -> dict[str, str]:
    """Every secret of the settings, by dotted path."""
    found: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            found |= secret_values(value, f"{where}{name}.")
        elif isinstance(value, SecretStr):
            found[f"{where}{name}"] = value.get_secret_value()
    return found


def value_at(settings: BaseModel, env_name: str) -> object:
    value: object = settings
    for part in env_name.removeprefix("LEADBRIDGE_").lower().split("__"):
        value = getattr(value, part)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_the_example_loads_through_the_command_line_loader(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("LEADBRIDGE_CONFIG", str(EXAMPLE_TOML))
    clean_env.setenv("LEADBRIDGE_SECURITY__TOKEN_KEYS", new_key())
    key_file = tmp_path / "secrets.key"
    clean_env.setenv("LEADBRIDGE_SECURITY__KEY_FILE", str(key_file))

    settings = load_settings()

    assert settings.database_url.startswith("postgresql://")
    assert (settings.web.host, settings.web.port) == ("127.0.0.1", 8080)
    assert settings.web.public_url.startswith("https://")
    assert settings.web.trusted_proxies == ["127.0.0.1"]
    assert settings.amocrm.account_id == 12345678
    assert not key_file.exists()  # with token_keys from the environment, no key file is made


def test_a_command_migrates_with_the_example_as_its_config_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`leadbridge --config deploy/leadbridge.example.toml db upgrade`, as an integrator runs it,
    on SQLite instead of the example's PostgreSQL."""
    env = {name: value for name, value in os.environ.items() if name != "LEADBRIDGE_CONFIG"}
    env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leadbridge.db'}"
    command = [str(VENV_LEADBRIDGE), "--config", str(EXAMPLE_TOML), "db", "upgrade"]

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database at revision ")


def test_every_key_of_the_example_is_a_setting_also_those_commented_out() -> None:
    """Nested tables ignore a misspelt key, so loading alone would not catch one."""
    text = EXAMPLE_TOML.read_text(encoding="utf-8")
    active = tomllib.loads(text)
    everything = tomllib.loads(uncommented(text))

    assert unknown_keys(active, Settings) == []
    assert unknown_keys(everything, Settings) == []
    assert len(everything) > len(active)  # the commented tables were found and read
    Settings.model_validate(everything)  # every commented value is a valid one too


def test_the_commented_values_are_the_defaults(clean_env: pytest.MonkeyPatch) -> None:
    """A commented `key = value` shows the default; a path is an example of where a copy may
    live."""
    shown = tomllib.loads(only_commented(EXAMPLE_TOML.read_text(encoding="utf-8")))
    loaded = Settings.model_validate(shown)
    defaults = Settings()
    compared = []
    for section, table in shown.items():
        if not isinstance(table, dict):
            if not isinstance(getattr(defaults, section), Path):
                assert getattr(loaded, section) == getattr(defaults, section), section
            continue
        for key in table:
            default = getattr(getattr(defaults, section), key)
            if isinstance(default, Path) or default is None:
                continue
            assert getattr(getattr(loaded, section), key) == default, f"{section}.{key}"
            compared.append(f"{section}.{key}")
    assert "relay.lease_s" in compared
    assert loaded.settlement.rules == defaults.settlement.rules


def test_the_example_holds_no_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LEADBRIDGE_CONFIG", str(EXAMPLE_TOML))

    secrets = secret_values(Settings())

    assert "web.webhook_token" in secrets
    assert {path: value for path, value in secrets.items() if value} == {}


def test_every_variable_of_the_env_example_sets_a_setting(clean_env: pytest.MonkeyPatch) -> None:
    variables = env_file_values()
    assert "LEADBRIDGE_WEB__WEBHOOK_TOKEN" in variables
    for name, value in variables.items():
        clean_env.setenv(name, value)
    clean_env.setenv("LEADBRIDGE_CONFIG", str(EXAMPLE_TOML))

    settings = Settings()

    for name, value in variables.items():
        assert value_at(settings, name) == value, name


def test_every_variable_the_examples_mention_is_a_setting_and_in_the_env_example() -> None:
    """The TOML's comments send secrets to leadbridge.env by name: each name must be real and be
    there (active, or commented out as an alternative)."""
    the_file_itself = {"LEADBRIDGE_CONFIG"}
    in_toml = set(ENV_NAME.findall(EXAMPLE_TOML.read_text(encoding="utf-8"))) - the_file_itself
    in_env = set(ENV_NAME.findall(EXAMPLE_ENV.read_text(encoding="utf-8"))) - the_file_itself
    assert "LEADBRIDGE_AMOCRM__CLIENT_SECRET" in in_toml

    for name in in_toml | in_env:
        field_for_env(name)
    assert in_toml <= in_env


def test_the_env_example_holds_placeholders_only() -> None:
    for name, value in env_file_values().items():
        assert "CHANGE_ME" in value, name
