"""The week's XLSX written by a process of its own while this one reads the lines and writes the
CSV: at a million lines the XLSX is half the export's CPU, and a second core halves its time.

The lines cross a pipe in batches (one pickle per batch, not per line); a full pipe makes the
reader wait, so memory stays one batch on each side. The writer is started with `spawn`, not
`fork`: the reading process holds database connections and threads that a fork would copy.
A writer that fails, or dies, is an error of the export, raised here at `finish`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import Diff, Line
from leadbridge.domain.settlement_quarantine import QuarantinedLine
from leadbridge.settlement.export import LINES_PER_SHEET, Tally, XlsxExport

BATCH = 5_000
STOP_WAIT_S = 10.0


class XlsxExportFailed(RuntimeError):
    """The writing process failed or died: the XLSX is not whole."""


@dataclass(frozen=True, slots=True)
class _Finish:
    week: Week
    tally: Tally
    diff: Diff | None
    frozen_at: datetime | None
    quarantined: tuple[QuarantinedLine, ...]


class XlsxExportAside:
    """`XlsxExport`'s `add` and `finish`, with the writing done by a child process."""

    def __init__(self, path: Path, rows_per_sheet: int = LINES_PER_SHEET) -> None:
        self.path = path
        context = multiprocessing.get_context("spawn")
        receiving, self._sending = context.Pipe(duplex=False)
        self._writer = context.Process(
            target=_write, args=(path, rows_per_sheet, receiving), name="xlsx-export", daemon=True
        )
        self._writer.start()
        receiving.close()  # the child's end: closed here, so a dead child breaks our pipe
        self._batch: list[Line] = []

    def add(self, line: Line) -> None:
        self._batch.append(line)
        if len(self._batch) >= BATCH:
            self._send(self._batch)
            self._batch = []

    def finish(
        self,
        week: Week,
        tally: Tally,
        diff: Diff | None,
        frozen_at: datetime | None,
        quarantined: Sequence[QuarantinedLine] = (),
    ) -> None:
        if self._batch:
            self._send(self._batch)
            self._batch = []
        self._send(_Finish(week, tally, diff, frozen_at, tuple(quarantined)))
        self._sending.close()
        self._writer.join()
        if self._writer.exitcode != 0:
            raise XlsxExportFailed(f"the XLSX writer ended with code {self._writer.exitcode}")

    def close(self) -> None:
        """Stop the writer if it still runs: the reading failed and `finish` will not come (after
        `finish`, nothing is left to do). The child then ends without writing the book."""
        self._sending.close()
        self._writer.join(STOP_WAIT_S)
        if self._writer.is_alive():
            self._writer.kill()
            self._writer.join()

    def _send(self, message: list[Line] | _Finish) -> None:
        try:
            self._sending.send(message)
        except (BrokenPipeError, ConnectionResetError) as error:
            self._writer.join()
            raise XlsxExportFailed(
                f"the XLSX writer ended with code {self._writer.exitcode}"
            ) from error


def _write(path: Path, rows_per_sheet: int, receiving: Connection) -> None:
    """The child: lines until `_Finish`; a closed pipe before it (the reader gave up) ends it
    without a book."""
    export = XlsxExport(path, rows_per_sheet)
    while True:
        try:
            message = receiving.recv()
        except EOFError:
            return
        if isinstance(message, _Finish):
            export.finish(
                message.week, message.tally, message.diff, message.frozen_at, message.quarantined
            )
            return
        for line in message:
            export.add(line)
