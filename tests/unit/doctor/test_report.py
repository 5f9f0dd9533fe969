"""How the doctor reports: one line per check, a fix on every ✗, and a check that cannot run
shown as skipped — never a traceback, even when nothing can be loaded."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from leadbridge.config import ConfigurationError, Settings, WebSettings
from leadbridge.doctor.checks import Outcome, Result, one_line
from leadbridge.doctor.public_url import base_of, masked_webhook_url, webhook_url
from leadbridge.doctor.run import CHECKS, examine

pytestmark = pytest.mark.anyio


def test_each_outcome_is_one_line_and_a_failure_carries_its_fix() -> None:
    passed = Result("database", Outcome.PASSED, "at the newest revision")
    failed = Result("database", Outcome.FAILED, "not migrated.", "run `leadbridge db upgrade`")
    skipped = Result("amoCRM token", Outcome.SKIPPED, "needs database")

    assert passed.line() == "✓ database — at the newest revision"
    assert failed.line() == "✗ database — not migrated. Fix: run `leadbridge db upgrade`"
    assert skipped.line() == "○ amoCRM token — skipped: needs database"
    assert [passed.passed, failed.passed, skipped.passed] == [True, False, False]


def test_an_error_is_its_first_line_or_else_its_type() -> None:
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(TimeoutError()) == "TimeoutError"


async def test_a_configuration_that_does_not_load_fails_first_and_skips_every_other_check() -> None:
    def load() -> Settings:
        raise ConfigurationError("bad setting web.publik_url: unknown setting")

    heard: list[Result] = []
    results = await examine(load, report=heard.append)

    assert heard == results
    assert [result.name for result in results] == [check.name for check in CHECKS]
    first, *rest = results
    assert first.outcome is Outcome.FAILED
    assert first.detail == "bad setting web.publik_url: unknown setting"
    assert "TOML file" in first.fix
    assert {result.outcome for result in rest} == {Outcome.SKIPPED}


def test_webhook_urls_are_printed_without_their_secret_segment() -> None:
    web = WebSettings(public_url="https://bridge.example/", webhook_token=SecretStr("s3cret"))

    assert webhook_url(web, "avito") == "https://bridge.example/webhooks/avito/s3cret"
    assert masked_webhook_url(web, "avito") == "https://bridge.example/webhooks/avito/***"
    assert (
        base_of("https://other.example:8443/hooks/their-secret") == "https://other.example:8443/…"
    )
