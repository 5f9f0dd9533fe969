"""What every command shares: settings loaded with a one-line error, a coroutine run until
SIGINT/SIGTERM, and failures printed as one line with exit code 2.

A mistyped key is refused with the key named: every settings table forbids unknown keys, from the
TOML file and from the environment. Of the environment only `LEADBRIDGE_<SECTION>__<KEY>` with a
known section is checked: other programs' variables share the prefix (the tests'
LEADBRIDGE_TEST_POSTGRES_URL and LEADBRIDGE_CHAOS_LEADS, the benches'
LEADBRIDGE_BENCH_POSTGRES_URL, and LEADBRIDGE_CONFIG, the file itself), so an unknown name without
`__` is left alone.

The machinery is imported when a command runs, not when the command line is parsed: `--help`
and a mistyped option answer without loading the database and HTTP stacks."""

from __future__ import annotations

import asyncio
import difflib
import os
import signal
import sys
import typing
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from leadbridge.config import Settings

T = TypeVar("T")
Partner = Literal["amocrm", "avito"]


def load_settings(*, partners: Sequence[Partner] = ()) -> Settings:
    """The settings, their encrypted values opened; a bad one ends the command in one line, and
    so does a credential that one of the `partners` the command calls needs and that is empty."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError

    from leadbridge.avito.mapping_in_force import install_mapping
    from leadbridge.config import Settings
    from leadbridge.security import key_file
    from leadbridge.security.settings_secrets import open_secrets
    from leadbridge.store import sealed

    try:
        settings = Settings()
        _ = settings.funnel
        install_mapping(settings.avito)
        keys = key_file.resolve(settings)
        open_secrets(settings, sealed.use_keys(keys.setting))
        if keys.created:
            print(f"leadbridge: {key_file.CREATED.format(path=keys.file)}", file=sys.stderr)
    except ValidationError as error:
        fail(setting_error(error))
    except ArgumentError:  # the key file's default place is found from the database's URL
        fail("bad setting database_url: no database URL: write sqlite:///FILE or postgresql://…")
    except (OSError, ValueError, KeyError) as error:  # ConfigurationError is a ValueError
        fail(f"bad configuration: {error}")
    for partner in partners:
        missing = missing_credential(settings, partner)
        if missing:
            fail(missing)
    return settings


def setting_error(error: ValidationError) -> str:
    """The first error as one line: the dotted key, the environment variable if it came from
    one, and what is wrong; for an unknown key, the closest known one."""
    first = error.errors()[0]
    loc = first["loc"]
    where = ".".join(str(part) for part in loc)
    variable = "LEADBRIDGE_" + "__".join(str(part) for part in loc).upper()
    if any(name.upper() == variable for name in os.environ):
        where += f" ({variable})"
    if first["type"] == "extra_forbidden":
        return f"bad setting {where}: unknown setting{_did_you_mean(loc)}"
    return f"bad setting {where}: {first['msg'].removeprefix('Value error, ')}"


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    from leadbridge.config import Settings

    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if isinstance(part, str) and model is not None:
            info = model.model_fields.get(part)
            model = _model_in(info.annotation) if info else None
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings table a field holds: itself, in a list, or optional."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in typing.get_args(annotation):
        found = _model_in(inner)
        if found is not None:
            return found
    return None


def missing_credential(settings: Settings, partner: Partner) -> str | None:
    """What a command calling `partner` lacks before its first call, as one line; None if
    nothing. Checked after encrypted values are opened: an encrypted empty secret is empty."""
    if partner == "amocrm":
        amocrm = settings.amocrm
        if not amocrm.base_url:
            return "bad setting amocrm.base_url: empty; e.g. https://yourcompany.amocrm.ru"
        if not amocrm.client_secret.get_secret_value() and not (
            amocrm.long_lived_token.get_secret_value()
        ):
            return (
                "bad setting amocrm.client_secret: empty, and amoCRM's token grant needs it "
                "(the integration's secret key; or set amocrm.long_lived_token)"
            )
        return None
    if not settings.avito.client_secret.get_secret_value():
        return "bad setting avito.client_secret: empty, and Avito's token request needs it"
    return None


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` until it ends or SIGINT/SIGTERM cancels it; a problem the user can fix
    (configuration, a partner's refusal, the network) ends the command in one line."""
    import httpx

    from leadbridge.amocrm.client import AmoApiError
    from leadbridge.amocrm.tokens import AmoAuthError
    from leadbridge.avito.token import AvitoAuthError
    from leadbridge.config import ConfigurationError
    from leadbridge.store.migrate import DatabaseUnavailable
    from leadbridge.sync.crm_layout import NotProvisioned

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopping: list[int] = []

        def stop() -> None:
            # Once: a terminal's Ctrl+C may reach us both directly and through a wrapper.
            if not stopping:
                stopping.append(1)
                task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        return await coroutine

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        print("stopped", file=sys.stderr)
        raise typer.Exit(0) from None
    except (
        ConfigurationError,
        AmoAuthError,
        AmoApiError,
        AvitoAuthError,
        NotProvisioned,
        DatabaseUnavailable,
    ) as error:
        fail(str(error))
    except (OSError, httpx.HTTPError) as error:
        fail(f"{type(error).__name__}: {error}")


def configure_logs(level: str) -> None:
    from leadbridge import logs

    logs.configure(level)


def fail(message: str) -> NoReturn:
    """Print `leadbridge: error: <first line>` and exit 2."""
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"leadbridge: error: {first_line}", file=sys.stderr)
    raise typer.Exit(2)
