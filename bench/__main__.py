"""Run every benchmark once and print one JSON line each: `uv run python -m bench`."""

from __future__ import annotations

import asyncio
import json

from bench import avito_status_apply


def main() -> None:
    print(json.dumps({"avito_status_apply": asyncio.run(avito_status_apply.measure(20.0, 5))}))


if __name__ == "__main__":
    main()
