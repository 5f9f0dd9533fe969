"""What every command shares: settings loaded with a one-line error, a coroutine run until
SIGINT/SIGTERM, and failures printed as one line with exit code 2.

The machinery is imported when a command runs, not when the command line is parsed: `--help`
and a mistyped option answer without loading the database and HTTP stacks."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from leadbridge.config import Settings

T = TypeVar("T")


def load_settings() -> Settings:
    """The settings, their encrypted values opened; a bad one ends the command in one line."""
    from pydantic import ValidationError

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
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        fail(f"bad setting {where}: {first['msg']}")
    except (OSError, ValueError, KeyError) as error:  # ConfigurationError is a ValueError
        fail(f"bad configuration: {error}")
    return settings


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` until it ends or SIGINT/SIGTERM cancels it; a problem the user can fix
    (configuration, a partner's refusal, the network) ends the command in one line."""
    import httpx

    from leadbridge.amocrm.client import AmoApiError
    from leadbridge.amocrm.tokens import AmoAuthError
    from leadbridge.avito.token import AvitoAuthError
    from leadbridge.config import ConfigurationError
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
