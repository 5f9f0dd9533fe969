"""The layer table of docs/architecture.md holds: import-linter's contracts (pyproject.toml) are
kept, and no two top-level packages import each other."""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_two_packages_import_each_other() -> None:
    graph = grimp.build_graph("leadbridge")
    packages = sorted({module.split(".")[1] for module in graph.modules if "." in module})
    mutual = [
        (first, second)
        for first, second in combinations(packages, 2)
        if graph.chain_exists(f"leadbridge.{first}", f"leadbridge.{second}", as_packages=True)
        and graph.chain_exists(f"leadbridge.{second}", f"leadbridge.{first}", as_packages=True)
    ]
    assert mutual == []
