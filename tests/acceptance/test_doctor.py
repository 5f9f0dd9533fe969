"""`leadbridge doctor` as an integrator runs it before going live: against a sandbox set up the
way `run` leaves it, every check passes; against each set-up broken in one place, exactly the
check of that place fails (the ones that need it are skipped) and the exit status says so.

The simulators and a `leadbridge web` are shared by the module: `run` prepares everything once
(pipeline, webhooks, token) and stops, so that no flow repairs what a test breaks; each test
that breaks something in a simulator puts it back."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import (
    LEADBRIDGE,
    bridge_env,
    eventually,
    free_port,
    http_status,
    sandbox_serve,
)
from tests.databases import postgres_database

from leadbridge.config import DEFAULT_FUNNEL

CHECKS = [
    "configuration",
    "database",
    "token keys",
    "amoCRM token",
    "amoCRM layout",
    "amoCRM webhook",
    "Avito token",
    "Avito webhook",
    "public URL",
    "alert channels",
]
WEBHOOK_TOKEN = "doctor-webhook-token-0123456789"
AVITO_WEBHOOK_SECRET = "doctor-avito-webhook-secret"


@dataclass
class Rig:
    tmp: Path
    env: dict[str, str]
    credentials: dict[str, Any]  # what `sandbox serve` printed
    web: subprocess.Popen[str] | None = None
    avito_token: str | None = None  # Avito gives one token a second: it is kept

    @property
    def avito(self) -> dict[str, Any]:
        return dict(self.credentials["avito"])

    @property
    def amocrm(self) -> dict[str, Any]:
        return dict(self.credentials["amocrm"])

    def telegram_env(self, **changed: str) -> dict[str, str]:
        """Settings of an alert channel to the Telegram simulator."""
        telegram = self.credentials["telegram"]
        return {
            "LEADBRIDGE_ALERTS__TELEGRAM__BASE_URL": telegram["base_url"],
            "LEADBRIDGE_ALERTS__TELEGRAM__BOT_TOKEN": telegram["bot_token"],
            "LEADBRIDGE_ALERTS__TELEGRAM__CHAT_ID": str(telegram["chat_id"]),
            **changed,
        }

    def url(self, source: str) -> str:
        return f"{self.env['LEADBRIDGE_WEB__PUBLIC_URL']}/webhooks/{source}/{WEBHOOK_TOKEN}"

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [*LEADBRIDGE, "web"], env=self.env, cwd=self.tmp, stderr=subprocess.PIPE, text=True
        )
        public = self.env["LEADBRIDGE_WEB__PUBLIC_URL"]
        eventually(lambda: http_status(public + "/healthz") == 200, seconds=180)

    def stop_web(self) -> None:
        assert self.web is not None
        self.web.send_signal(signal.SIGTERM)
        self.web.wait(timeout=30)
        self.web = None


@dataclass(frozen=True)
class Verdict:
    code: int
    lines: dict[str, str]  # check → its line
    stdout: str
    stderr: str

    def symbol(self, check: str) -> str:
        return self.lines[check][0]

    def failed(self) -> list[str]:
        return [check for check in CHECKS if self.symbol(check) == "✗"]


def doctor(rig: Rig, *args: str, **env: str) -> Verdict:
    """`leadbridge doctor` with the rig's settings, `env` added or changed."""
    done = subprocess.run(
        [*LEADBRIDGE, "doctor", *args],
        check=False,
        env={**rig.env, **env},
        cwd=rig.tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = {}
    for line in done.stdout.splitlines():
        name = line[2:].split(" — ", 1)[0]
        if name in CHECKS:
            lines[name] = line
    assert list(lines) == CHECKS, done.stdout + done.stderr
    return Verdict(done.returncode, lines, done.stdout, done.stderr)


def assert_only_broken(verdict: Verdict, check: str, *words: str) -> None:
    """Exit status 1, `check` the one ✗ naming `words`, every other check ✓ or skipped."""
    assert verdict.code == 1, verdict.stdout
    assert verdict.failed() == [check], verdict.stdout
    line = verdict.lines[check]
    assert "Fix: " in line, line
    for word in words:
        assert word in line, line
    assert "Traceback" not in verdict.stdout + verdict.stderr


def _env(tmp: Path, credentials: dict[str, Any], database_url: str) -> dict[str, str]:
    env = bridge_env(
        credentials,
        database_url,
        free_port(),
        webhook_secret=AVITO_WEBHOOK_SECRET,
        webhook_token=WEBHOOK_TOKEN,
    )
    return env | {
        "LEADBRIDGE_SECURITY__KEY_FILE": str(tmp / "keys" / "secrets.key"),
        "LEADBRIDGE_LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def prepared(tmp: Path, database_url: str) -> Iterator[Rig]:
    """The simulators, everything `run` sets up at start done once, and `web` listening."""
    with sandbox_serve(tmp) as credentials:
        rig = Rig(tmp, _env(tmp, credentials, database_url), credentials)
        bridge = subprocess.Popen(
            [*LEADBRIDGE, "run"], env=rig.env, cwd=tmp, stderr=subprocess.PIPE, text=True
        )
        try:
            # `run`'s start (migrate, authorise, provision, subscribe) waits for its partners
            # and, beside the rest of the suite on two cores, can take more than a minute.
            eventually(lambda: _avito_subscription(rig) == rig.url("avito"), seconds=240)
        finally:
            bridge.send_signal(signal.SIGTERM)
            bridge.wait(timeout=30)
        rig.start_web()
        try:
            yield rig
        finally:
            if rig.web is not None:
                rig.stop_web()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("doctor")
    with prepared(tmp, f"sqlite:///{tmp / 'bridge.db'}") as ready:
        yield ready


# --- the partners, as a person would change them ------------------------------------------


def _avito_token(rig: Rig) -> str:
    if rig.avito_token is not None:
        return rig.avito_token
    answer = httpx.post(
        rig.avito["base_url"] + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": rig.avito["client_id"],
            "client_secret": rig.avito["client_secret"],
        },
    )
    rig.avito_token = str(answer.json()["access_token"])
    return rig.avito_token


def _avito_webhook(rig: Rig, method: str, **body: Any) -> httpx.Response:
    return httpx.request(
        method,
        rig.avito["base_url"] + "/partner/buyout/v1/webhook",
        json=body or None,
        headers={"Authorization": f"Bearer {_avito_token(rig)}"},
    )


def _avito_subscription(rig: Rig) -> str | None:
    response = _avito_webhook(rig, "GET")
    return response.json().get("url") if response.status_code == 200 else None


def _amocrm(rig: Rig, method: str, path: str, body: Any) -> httpx.Response:
    base = rig.amocrm["base_url"]
    person = httpx.post(base + "/sandbox/person-token").json()["access_token"]
    return httpx.request(
        method, base + path, json=body, headers={"Authorization": f"Bearer {person}"}
    )


@dataclass
class Receiver:
    """A real HTTP endpoint on loopback that answers 200 to anything and keeps what it got."""

    url: str
    bodies: list[bytes] = field(default_factory=list)


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    got: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                got.append(self.rfile.read(length))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_HEAD = do_GET = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", got)
    finally:
        server.shutdown()
        server.server_close()


# --- a correct set-up ---------------------------------------------------------------------


def test_a_correct_setup_passes_every_check(rig: Rig) -> None:
    verdict = doctor(rig)

    assert verdict.code == 0, verdict.stdout + verdict.stderr
    assert [verdict.symbol(check) for check in CHECKS] == ["✓"] * len(CHECKS), verdict.stdout
    assert verdict.stdout.rstrip().endswith(f"all {len(CHECKS)} checks passed")
    assert "none configured" in verdict.lines["alert channels"]
    # The secret path segment and the partners' secrets are never printed.
    for secret in (WEBHOOK_TOKEN, rig.avito["client_secret"], rig.amocrm["client_secret"]):
        assert secret not in verdict.stdout + verdict.stderr


def test_send_test_delivers_a_test_message_to_each_channel(rig: Rig) -> None:
    telegram = rig.credentials["telegram"]["base_url"]
    with receiver() as hook:
        channels = rig.telegram_env(LEADBRIDGE_ALERTS__WEBHOOK__URL=hook.url)
        probed = doctor(rig, **channels)
        assert probed.code == 0, probed.stdout
        assert "telegram, webhook: reachable" in probed.lines["alert channels"]
        assert hook.bodies == [], "a probe sends no alert"
        assert httpx.get(telegram + "/sandbox/messages").json()["messages"] == []

        sent = doctor(rig, "--send-test", **channels)

    assert sent.code == 0, sent.stdout
    assert "telegram, webhook: test message sent" in sent.lines["alert channels"]
    [body] = hook.bodies
    assert json.loads(body)["subject"] == "Проверка канала оповещений leadbridge"
    [message] = httpx.get(telegram + "/sandbox/messages").json()["messages"]
    assert "Проверка канала оповещений leadbridge" in message["text"]


def test_a_long_lived_token_is_used_and_not_stored(rig: Rig) -> None:
    """A set-up by long-lived token whose service has not started yet: the doctor checks with
    the token as given and writes no token row (`run` stores it at start)."""
    fresh = rig.tmp / "long-lived.db"
    env = {**rig.env, "LEADBRIDGE_DATABASE_URL": f"sqlite:///{fresh}"}
    subprocess.run([*LEADBRIDGE, "db", "upgrade"], env=env, cwd=rig.tmp, check=True)
    person = httpx.post(rig.amocrm["base_url"] + "/sandbox/person-token").json()["access_token"]

    verdict = doctor(
        rig,
        LEADBRIDGE_DATABASE_URL=env["LEADBRIDGE_DATABASE_URL"],
        LEADBRIDGE_AMOCRM__LONG_LIVED_TOKEN=person,
    )

    assert verdict.code == 0, verdict.stdout
    assert "long-lived token valid" in verdict.lines["amoCRM token"]
    with sqlite3.connect(fresh) as database:
        assert database.execute("SELECT count(*) FROM oauth_tokens").fetchone() == (0,)


# --- ten set-ups, each broken in one place -------------------------------------------------


def test_an_unknown_setting_fails_the_configuration_and_skips_the_rest(rig: Rig) -> None:
    verdict = doctor(rig, LEADBRIDGE_WEB__PUBLIK_URL="https://bridge.example")

    assert_only_broken(verdict, "configuration", "web.publik_url", "did you mean public_url")
    assert {verdict.symbol(check) for check in CHECKS[1:]} == {"○"}


def test_an_unreachable_database(rig: Rig) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/leadbridge"

    verdict = doctor(rig, LEADBRIDGE_DATABASE_URL=closed)

    assert_only_broken(verdict, "database", "unreachable", "database server")
    assert verdict.symbol("amoCRM token") == "○"
    assert verdict.symbol("Avito token") == "✓"  # Avito does not need the database


def test_a_database_not_migrated(rig: Rig) -> None:
    empty = rig.tmp / "empty.db"
    sqlite3.connect(empty).close()
    empty.touch()

    verdict = doctor(rig, LEADBRIDGE_DATABASE_URL=f"sqlite:///{empty}")

    assert_only_broken(verdict, "database", "not migrated", "leadbridge db upgrade")


def test_the_key_that_sealed_the_stored_token_missing(rig: Rig) -> None:
    verdict = doctor(rig, LEADBRIDGE_SECURITY__KEY_FILE=str(rig.tmp / "lost" / "secrets.key"))

    assert_only_broken(verdict, "token keys", "stored amoCRM token", "restore the key file")
    assert not (rig.tmp / "lost").exists(), "the doctor makes no key file"


def test_an_amocrm_account_id_of_another_account(rig: Rig) -> None:
    verdict = doctor(rig, LEADBRIDGE_AMOCRM__ACCOUNT_ID="12345")

    assert_only_broken(verdict, "amoCRM token", "amocrm.account_id is 12345")
    assert {verdict.symbol("amoCRM layout"), verdict.symbol("amoCRM webhook")} == {"○"}


def test_a_funnel_file_naming_a_loss_reason_amocrm_lacks(rig: Rig) -> None:
    funnel = rig.tmp / "funnel.toml"
    shutil.copy(DEFAULT_FUNNEL, funnel)
    with funnel.open("a", encoding="utf-8") as file:
        file.write('\n[[loss_reasons]]\nname = "Продавец уехал"\navito_status = "cancelled"\n')

    verdict = doctor(rig, LEADBRIDGE_FUNNEL_FILE=str(funnel))

    assert_only_broken(verdict, "amoCRM layout", "Продавец уехал", "leadbridge setup")


def test_the_amocrm_webhook_removed(rig: Rig) -> None:
    ours = rig.url("amocrm")
    assert _amocrm(rig, "DELETE", "/api/v4/webhooks", {"destination": ours}).status_code == 204
    try:
        verdict = doctor(rig)
    finally:
        body = {"destination": ours, "settings": ["status_lead"], "sort": 10}
        assert _amocrm(rig, "POST", "/api/v4/webhooks", body).status_code == 201

    assert_only_broken(verdict, "amoCRM webhook", "no webhook", "/webhooks/amocrm/***")


def test_a_wrong_avito_client_secret(rig: Rig) -> None:
    verdict = doctor(rig, LEADBRIDGE_AVITO__CLIENT_SECRET="not-the-secret")

    assert_only_broken(verdict, "Avito token", "refused the client credentials")
    assert verdict.symbol("Avito webhook") == "○"


def test_the_avito_webhook_pointed_elsewhere(rig: Rig) -> None:
    with receiver() as elsewhere:
        moved = _avito_webhook(rig, "PUT", url=elsewhere.url, secret="someone-else")
        assert moved.status_code == 200, moved.text
        try:
            verdict = doctor(rig)
        finally:
            back = _avito_webhook(rig, "PUT", url=rig.url("avito"), secret=AVITO_WEBHOOK_SECRET)
            assert back.status_code == 200, back.text

    assert_only_broken(verdict, "Avito webhook", "http://127.0.0.1:", "restart")
    assert "/hook" not in verdict.lines["Avito webhook"], "another's URL is shown to its host"


def test_the_public_url_not_answering(rig: Rig) -> None:
    rig.stop_web()
    try:
        verdict = doctor(rig)
    finally:
        rig.start_web()

    assert_only_broken(verdict, "public URL", "/healthz did not answer", "web.public_url")


def test_an_alert_channel_unreachable(rig: Rig) -> None:
    closed = f"http://127.0.0.1:{free_port()}/alerts"

    verdict = doctor(rig, LEADBRIDGE_ALERTS__WEBHOOK__URL=closed)

    assert_only_broken(verdict, "alert channels", "webhook:", "[alerts.webhook]")


def test_an_alert_channel_refusing_our_credentials(rig: Rig) -> None:
    wrong = rig.telegram_env(LEADBRIDGE_ALERTS__TELEGRAM__BOT_TOKEN="123456:not-the-bot-token")

    verdict = doctor(rig, **wrong)

    assert_only_broken(verdict, "alert channels", "telegram:", "[alerts.telegram]")
    assert "not-the-bot-token" not in verdict.stdout + verdict.stderr


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_correct_setup_on_postgresql_passes(tmp_path: Path) -> None:
    with postgres_database() as url, prepared(tmp_path, url) as ready:
        verdict = doctor(ready)

    assert verdict.code == 0, verdict.stdout + verdict.stderr
    assert verdict.failed() == []
