"""What `make demo` costs a laptop while it runs: CPU share of one core and memory.

    uv run python -m bench.demo_cpu [--seconds 300] [--port PORT] [-- DEMO OPTIONS…]

Starts the default demo (`leadbridge demo`, the endless mode at its default pace) as a child
process on a free port with its own SQLite file in a temporary directory, samples the CPU time
of the process and of its children from /proc every few seconds over its first `--seconds`,
then stops it with SIGINT as a person would. Prints one JSON line: the share of one core over
the whole run and per minute (1.0 is a whole core), RSS 30 s after the start and at the end,
and the demo's exit code. Goal: well under 0.10 of a core at the default pace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE_S = 5.0
STARTED_S = 30.0  # the demo is serving and working by then
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # monotonic seconds since the demo started
    cpu_s: float  # user + system time of the process tree
    rss_bytes: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may hold spaces); None: gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    """Every descendant still alive (a thread's `children` file lists its own children)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            listed = Path(f"/proc/{pid}/task/{thread}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, listed):
            found += [child, *_children(child)]
    return found


def sample(pid: int, started: float) -> Sample:
    """CPU time of `pid` and its live children, plus the waited-for children it reaped
    (fields 14–17 of stat: utime, stime, cutime, cstime); RSS of the tree."""
    cpu_ticks, rss_pages = 0, 0
    for each in [pid, *_children(pid)]:
        fields = _stat(each)
        if fields is None:
            continue
        # fields[0] is the state (stat field 3): stat field N is fields[N - 3].
        cpu_ticks += sum(int(fields[n - 3]) for n in (14, 15, 16, 17))
        rss_pages += int(fields[24 - 3])
    return Sample(time.monotonic() - started, cpu_ticks / TICKS, rss_pages * PAGE)


def share(earlier: Sample, later: Sample) -> float:
    return round((later.cpu_s - earlier.cpu_s) / max(later.at - earlier.at, 1e-9), 4)


def per_minute(samples: list[Sample]) -> list[float]:
    """The share of one core in each whole or last partial minute, from the samples nearest the
    minute's ends."""
    shares: list[float] = []
    minute = 0
    while True:
        inside = [s for s in samples if minute * 60 <= s.at <= (minute + 1) * 60 + SAMPLE_S / 2]
        if len(inside) < 2:
            return shares
        shares.append(share(inside[0], inside[-1]))
        minute += 1


def measure(seconds: float, port: int, demo_options: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "leadbridge", "demo", "--port", str(port), *demo_options]
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "LEADBRIDGE_DATABASE_URL": f"sqlite:///{directory}/demo.db"}
        started = time.monotonic()
        demo = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        samples = [sample(demo.pid, started)]
        while time.monotonic() - started < seconds and demo.poll() is None:
            time.sleep(min(SAMPLE_S, max(0.0, seconds - (time.monotonic() - started))))
            samples.append(sample(demo.pid, started))
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=120)
    return {
        "command": " ".join(["leadbridge", "demo", "--port", str(port), *demo_options]),
        "seconds": round(samples[-1].at, 1),
        "cpu_share_of_one_core": share(samples[0], samples[-1]),
        "cpu_share_per_minute": per_minute(samples),
        # Taken once the demo is up (its first sample comes before the imports).
        "rss_mb_start": round(_rss_at(samples, STARTED_S) / 2**20, 1),
        "rss_mb_end": round(samples[-1].rss_bytes / 2**20, 1),
        "exit_code": demo.returncode,
        "summary": [line for line in out.splitlines() if line.startswith(("Сделано", "Итог"))],
        "log_warnings": _loud_events(err),
    }


def _loud_events(stderr: str) -> dict[str, int]:
    """The demo's JSON log lines at warning level or above, counted by event."""
    counted: Counter[str] = Counter()
    for line in stderr.splitlines():
        with contextlib.suppress(ValueError):
            logged = json.loads(line)
            if isinstance(logged, dict) and logged.get("level") in ("warning", "error"):
                counted[f"{logged['level']}: {logged.get('event')}"] += 1
    return dict(counted)


def _rss_at(samples: list[Sample], at: float) -> int:
    return next((s.rss_bytes for s in samples if s.at >= at), samples[-1].rss_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("demo_options", nargs="*", help="after --: passed to `leadbridge demo`")
    args = parser.parse_args()
    result = measure(args.seconds, args.port or free_port(), args.demo_options)
    print(json.dumps({"demo_cpu": result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
