"""`[privacy]` of the settings: how long a closed deal's seller data is kept, and the job that
anonymizes it afterwards (`leadbridge privacy purge`, sync/privacy.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Three years: the limitation period of civil claims (Civil Code art. 196), after which a
    # closed deal no longer needs to say who the seller was.
    keep_closed_days: int = Field(1095, ge=1, description="days a closed deal keeps its seller")
    purge_interval_s: float = Field(86_400.0, gt=0, description="how often the job runs")
    # Each batch is its own short transaction: SQLite's one writer waits at most this long.
    batch_size: int = Field(500, ge=1, le=5000, description="leads anonymized per transaction")
