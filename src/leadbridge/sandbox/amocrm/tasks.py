"""Tasks (amoCRM's tasks-api; reference §7, §7.1): made in batches, listed with filters, edited
and completed one at a time or in batches. A deal's `closest_task_at` follows its open tasks,
as amoCRM keeps it.

Every reference a task makes is checked before anything is written: its deal or contact
(amoCRM's error 237 "no such deal", 235 "no entity type"), its user, its type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from leadbridge.sandbox.amocrm.event_filters import values_of
from leadbridge.sandbox.amocrm.shapes import given
from leadbridge.sandbox.amocrm.users import UNKNOWN, check_responsible
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox

Task = dict[str, Any]
CALL, MEETING = 1, 2  # the two task types every account has (tasks-api); no custom ones here
TASK_TYPES = frozenset({CALL, MEETING})
ENTITY_TYPES = ("leads", "contacts", "companies", "customers")
ORDER_FIELDS = ("created_at", "complete_till", "id")
# What a task may change in place; `result` and the authorship are handled on their own.
CHANGEABLE = (
    "text",
    "complete_till",
    "entity_id",
    "entity_type",
    "task_type_id",
    "duration",
    "is_completed",
    "responsible_user_id",
)


def check_task(
    sandbox: AmoSandbox, raw: Mapping[str, Any], request_id: str, current: Task | None = None
) -> None:
    """What a task names must exist; `current` is the task a PATCH changes."""
    check_responsible(sandbox, raw, request_id)
    task_type = raw.get("task_type_id")
    if task_type is not None and task_type not in TASK_TYPES:
        _refuse(request_id, "NotSupportedChoice", "task_type_id", UNKNOWN)
    entity_type = given(raw, "entity_type", (current or {}).get("entity_type"))
    if entity_type is not None and entity_type not in ENTITY_TYPES:
        _refuse(request_id, "NotSupportedChoice", "entity_type", UNKNOWN)
    entity_id = raw.get("entity_id")
    if entity_id is None:
        return
    if entity_type is None:
        _refuse(request_id, "NotBlank", "entity_type", "This value should not be blank.")
    if entity_id not in _entities(sandbox, str(entity_type)):
        _refuse(request_id, "NotSupportedChoice", "entity_id", UNKNOWN)


def create_task(sandbox: AmoSandbox, raw: Mapping[str, Any], user_id: int) -> Task:
    """A new task; responsible is the acting user unless the task names another (tasks-api)."""
    now = int(sandbox.now())
    responsible = int(given(raw, "responsible_user_id", user_id))
    entity_id = raw.get("entity_id")
    task: Task = {
        "id": sandbox.next_id(),
        "created_by": given(raw, "created_by", user_id),
        "updated_by": given(raw, "updated_by", user_id),
        "created_at": given(raw, "created_at", now),
        "updated_at": given(raw, "updated_at", now),
        "responsible_user_id": responsible,
        "group_id": sandbox.users.group_id(responsible),
        "entity_id": entity_id,
        "entity_type": raw.get("entity_type") if entity_id is not None else None,
        "duration": given(raw, "duration", 0),
        "is_completed": given(raw, "is_completed", False),
        "task_type_id": given(raw, "task_type_id", CALL),
        "text": raw["text"],
        "result": _result(raw.get("result")),
        "complete_till": raw["complete_till"],
        "account_id": sandbox.config.account_id,
    }
    sandbox.tasks[task["id"]] = task
    _refresh_closest(sandbox, task)
    return task


def update_task(sandbox: AmoSandbox, task: Task, raw: Mapping[str, Any], user_id: int) -> None:
    """Apply a checked PATCH: `{"is_completed": true, "result": {"text": …}}` completes it."""
    before = dict(task)
    for key in CHANGEABLE:
        if raw.get(key) is not None:
            task[key] = raw[key]
    if raw.get("result") is not None:
        task["result"] = _result(raw["result"])
    task["group_id"] = sandbox.users.group_id(int(task["responsible_user_id"]))
    task["updated_by"] = given(raw, "updated_by", user_id)
    task["updated_at"] = given(raw, "updated_at", int(sandbox.now()))
    _refresh_closest(sandbox, before)  # the deal it was on, if it moved
    _refresh_closest(sandbox, task)


def _result(raw: Any) -> Any:
    # amoCRM shows a task without a result as `"result": []` (an empty PHP array, tasks-api).
    text = raw.get("text") if isinstance(raw, Mapping) else None
    return {"text": text} if text is not None else []


def _entities(sandbox: AmoSandbox, entity_type: str) -> Mapping[int, Any]:
    # The simulator keeps no companies or customers: a task can name none of them.
    stores: dict[str, Mapping[int, Any]] = {"leads": sandbox.leads, "contacts": sandbox.contacts}
    return stores.get(entity_type, {})


def _refuse(request_id: str, code: str, path: str, detail: str) -> None:
    raise ValidationFailed([error(request_id, code, path, detail)])


def _refresh_closest(sandbox: AmoSandbox, task: Task) -> None:
    """The deal's `closest_task_at`: the earliest deadline among its open tasks."""
    if task.get("entity_type") != "leads" or task.get("entity_id") not in sandbox.leads:
        return
    lead_id = task["entity_id"]
    deadlines = [
        int(other["complete_till"])
        for other in sandbox.tasks.values()
        if other["entity_type"] == "leads"
        and other["entity_id"] == lead_id
        and not other["is_completed"]
    ]
    sandbox.leads[lead_id]["closest_task_at"] = min(deadlines, default=None)


def filter_tasks(tasks: Iterable[Task], params: QueryParams) -> list[Task]:
    """`GET /api/v4/tasks` filters (tasks-api), each as one value, `[]` or `[i]`, and `order`.

    `filter[entity_id]` works only together with `filter[entity_type]`, as documented: alone it
    is ignored.
    """
    tests: list[Callable[[Task], bool]] = []
    for name, key in (("id", "id"), ("responsible_user_id", "responsible_user_id")):
        tests += _one_of(params, [name], key)
    tests += _one_of(params, ["task_type", "task_type_id"], "task_type_id")
    entity_types = set(values_of(params, "entity_type"))
    if entity_types:
        tests.append(lambda task: task["entity_type"] in entity_types)
        tests += _one_of(params, ["entity_id"], "entity_id")
    completed = values_of(params, "is_completed")
    if completed:
        wanted = completed[0].lower() in ("1", "true")
        tests.append(lambda task: bool(task["is_completed"]) == wanted)
    tests += _updated_at(params)
    found = [task for task in tasks if all(test(task) for test in tests)]
    for name in ORDER_FIELDS:
        direction = params.get(f"order[{name}]")
        if direction is not None:
            found.sort(key=itemgetter(name), reverse=direction.lower() == "desc")
    return found


def _one_of(params: QueryParams, names: list[str], key: str) -> list[Callable[[Task], bool]]:
    wanted = {int(value) for name in names for value in values_of(params, name) if value.isdigit()}
    if not wanted:
        return []
    return [lambda task: task[key] in wanted]


def _updated_at(params: QueryParams) -> list[Callable[[Task], bool]]:
    """`filter[updated_at]=ts` means "changed after ts"; `[from]`/`[to]` bound a range."""
    since = params.get("filter[updated_at][from]", params.get("filter[updated_at]"))
    until = params.get("filter[updated_at][to]")
    bounds = [int(since) if since and since.isdigit() else 0]
    bounds.append(int(until) if until and until.isdigit() else 2**63)
    if since is None and until is None:
        return []
    return [lambda task: bounds[0] <= int(task["updated_at"]) <= bounds[1]]
