"""amoCRM's batch creates, the part every entity shares: all of the batch or none of it, and
the same answer for each kind of entity.

Every element is checked before any is written, so a bad element fails the whole request
(400) with nothing created; the answer lists each new id with the element's `request_id` and
the entity's link, under `_embedded.<entity>`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from leadbridge.sandbox.amocrm.shapes import request_id

Element = dict[str, Any]


def checked_ids(body: Sequence[Element], check: Callable[[Element, str], object]) -> list[str]:
    """Each element's request id, once every element has passed `check` (which raises)."""
    ids = [request_id(raw, index) for index, raw in enumerate(body)]
    for raw, rid in zip(body, ids, strict=True):
        check(raw, rid)
    return ids


def created(
    entity: str, body: Sequence[Element], ids: Sequence[str], create: Callable[[Element, str], int]
) -> dict[str, Any]:
    """Create each checked element in order (`create` gives its new id); the answer amoCRM
    gives, `entity` being the path segment (`leads`, `contacts`, `tasks`)."""
    made = []
    for raw, rid in zip(body, ids, strict=True):
        new_id = create(raw, rid)
        link = {"self": {"href": f"/api/v4/{entity}/{new_id}"}}
        made.append({"id": new_id, "request_id": rid, "_links": link})
    return {"_links": {"self": {"href": f"/api/v4/{entity}"}}, "_embedded": {entity: made}}
