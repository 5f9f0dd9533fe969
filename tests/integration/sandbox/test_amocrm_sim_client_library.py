"""An amoCRM client written by someone else, unchanged, against the simulator.

aioamocrm (PyPI, MIT; async, httpx + pydantic 2) was written from amoCRM's documentation and
cross-checked against the official PHP SDK, not against this simulator: whatever it reads and
writes here, the simulator answers in the shapes a real account would. A test dependency only
(pinned in uv.lock); the product does not use it.
"""

from __future__ import annotations

import time

import aioamocrm
import pytest
from tests.integration.sandbox.amocrm_rig import account, new_lead, team

pytestmark = pytest.mark.anyio


async def test_users_are_read_and_a_task_is_made_listed_and_completed() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        manager = team(sandbox, "Казань")[0]
        auth = aioamocrm.LongLivedToken(sandbox.issue_long_lived_token())
        async with aioamocrm.AmoCRMClient(
            base_url=str(http.base_url), auth=auth, rate_limit=None
        ) as amo:
            users = [user async for user in amo.users.iterate(limit=5, with_=["group"])]
            one = await amo.users.get(manager, with_="group")
            refs = await amo.tasks.create(
                [
                    aioamocrm.Task(
                        text="Позвонить продавцу",
                        complete_till=int(time.time()) + 3600,
                        entity_type="leads",
                        entity_id=lead,
                        responsible_user_id=manager,
                        task_type_id=1,
                    )
                ]
            )
            listed = [
                task
                async for task in amo.tasks.iterate(
                    filter={"entity_type": "leads", "entity_id": [lead], "is_completed": False}
                )
            ]
            await amo.tasks.complete(refs[0].id, result="Договорились о встрече")
            done = await amo.tasks.get(refs[0].id)
            statuses = await amo.pipelines.statuses(sandbox.main_pipeline())
            with pytest.raises(aioamocrm.ValidationError) as refused:
                await amo.tasks.create([{"text": "x", "complete_till": "завтра"}])

        assert [user.id for user in users] == list(sandbox.users.users)  # across pages of 5
        assert one.name == sandbox.users.users[manager]["name"]
        assert one.rights["is_active"] is True
        assert [task.id for task in listed] == [refs[0].id]
        assert listed[0].responsible_user_id == manager
        assert listed[0].result is None  # the library reads amoCRM's `[]` as no result
        assert done.is_completed is True
        assert done.result is not None
        assert done.result.text == "Договорились о встрече"
        assert [status.id for status in statuses][-2:] == [142, 143]
        (issue,) = refused.value.errors
        assert (issue.code, issue.path) == ("InvalidType", "complete_till")
        assert len(sandbox.tasks) == 1
