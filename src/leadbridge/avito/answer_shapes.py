"""Where Avito's answers put what the client reads: the rows of a status apply answer, the
status of a read-back, the code of an error body. This is the `[answers]` table of the mapping
file; left out, it keeps today's contract (docs/avito-partner-api.md §1, §7, §8).

A field Avito renames in an answer is followed by one line of the table. Until it is, the
answer is not recognised: it is noted as contract drift (`unknown_answer`) and its statuses
wait, retried, rather than being parked or taken as applied on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerShape:
    # Status apply: the answer's list of rows, one per item sent.
    rows: str = "result"
    # The item a row answers, matched by the idempotency key it was sent with.
    row_key: str = "idempotencyKey"
    # The row's verdict: success, already_applied, forbidden, not_found or invalid.
    row_result: str = "result"
    # The lead's status after the item, in Avito's names.
    row_status: str = "currentStatus"
    # Why, beside a verdict that refuses.
    row_message: str = "message"
    # A refusal's code, beside its verdict; `withdrawn_code` there means the seller cancelled
    # the request on Avito: nothing more will be applied to it, so the status is given up
    # (skipped), not parked for a person.
    row_error_code: str = "errorCode"
    withdrawn_code: str = "lead_withdrawn"
    # Status read-back: the lead's status, null before its first.
    status_path: tuple[str, ...] = ("status",)
    # An error answer (any method): its code, the HTTP status repeated in today's contract.
    error_code_path: tuple[str, ...] = ("error", "code")
