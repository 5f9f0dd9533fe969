"""docs/deployment.md names only real things: leadbridge commands and their options, settings,
environment variables and files of deploy/."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
from pydantic import BaseModel

from leadbridge.config import Settings
from tests.deploy.files import DEPLOY, ROOT, VENV_LEADBRIDGE
from tests.deploy.test_example_settings import ENV_NAME, field_for_env, model_of

DOC = ROOT / "docs" / "deployment.md"
COMMAND = re.compile(
    r"(?<![\w/.-])(?:leadbridge-admin|/opt/leadbridge/venv/bin/leadbridge)\s+([^#`\n]*)"
)
SETTING = re.compile(r"`([a-z_]+)\.([a-z_]+)`")
FILE_SUFFIXES = {
    "conf",
    "db",
    "env",
    "json",
    "key",
    "lock",
    "md",
    "service",
    "target",
    "toml",
    "yml",
}
DEPLOY_FILE = re.compile(r"\bdeploy/[\w./@-]+\w")


def invocations() -> list[str]:
    text = DOC.read_text(encoding="utf-8").replace("\\\n", " ")
    return sorted({match.strip() for match in COMMAND.findall(text)})


def test_the_doc_has_commands_to_check() -> None:
    found = invocations()
    assert "db upgrade" in found
    assert len(found) >= 10


@pytest.mark.parametrize("invocation", invocations())
def test_every_command_of_the_doc_exists_with_its_options(invocation: str) -> None:
    words = shlex.split(invocation)
    command = [word for word in words if not word.startswith("-")]
    first_option = next((i for i, word in enumerate(words) if word.startswith("-")), len(words))
    options = [word.split("=")[0] for word in words if word.startswith("--")]

    helped = subprocess.run(
        [str(VENV_LEADBRIDGE), *words[:first_option], "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert helped.returncode == 0, f"leadbridge {' '.join(command)}: {helped.stderr}"
    for option in options:
        assert option in helped.stdout, f"leadbridge {invocation}: no option {option}"


def log_events() -> set[str]:
    """The names of leadbridge's log lines (`log.info("bridge.prepare_retry", …)`)."""
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "src" / "leadbridge").rglob("*.py")
    )
    return set(re.findall(r"log\.\w+\(\s*\"([a-z_]+\.[a-z_]+)\"", source))


def test_every_dotted_name_of_the_doc_is_a_setting_a_log_line_or_a_file() -> None:
    found = SETTING.findall(DOC.read_text(encoding="utf-8"))
    events = log_events()
    assert ("security", "token_keys") in found
    assert "bridge.prepare_retry" in events
    for section, key in found:
        if key in FILE_SUFFIXES or f"{section}.{key}" in events:
            continue
        assert section in Settings.model_fields, f"{section}.{key}"
        model: type[BaseModel] | None = model_of(Settings.model_fields[section])
        assert model is not None, f"{section} is no section"
        assert key in model.model_fields, f"{section}.{key}"


def test_every_variable_the_doc_names_is_a_setting() -> None:
    names = set(ENV_NAME.findall(DOC.read_text(encoding="utf-8")))
    assert "LEADBRIDGE_DATABASE_URL" in names
    for name in names:
        field_for_env(name)


def test_every_deploy_file_the_doc_names_exists_and_every_one_is_named() -> None:
    named = set(DEPLOY_FILE.findall(DOC.read_text(encoding="utf-8")))
    shipped = {str(path.relative_to(ROOT)) for path in DEPLOY.rglob("*") if path.is_file()}

    assert named - {"deploy/"} <= shipped
    assert shipped <= named
