"""Admin API shapes for destinations and destination types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from switchboard.deliveries.status import Status
from switchboard.destinations.models import Destination


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow_types: list[str] = Field(default_factory=list)
    deny_types: list[str] = Field(default_factory=list)
    allow_events: list[str] = Field(default_factory=list)
    deny_events: list[str] = Field(default_factory=list)


class RetryIn(BaseModel):
    """Overrides of the default retry policy; unset fields keep the default."""

    model_config = ConfigDict(extra="forbid")
    base_delay: float | None = Field(default=None, gt=0, le=3600)
    max_delay: float | None = Field(default=None, gt=0, le=86400)
    give_up_after: float | None = Field(default=None, gt=0, le=7 * 86400)
    max_retry_after: float | None = Field(default=None, gt=0, le=86400)
    retry_statuses: list[int] | None = None


class DestinationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=100)
    settings: dict[str, Any] = Field(default_factory=dict)
    source_ids: list[int] = Field(default_factory=list)
    enabled: bool = True
    filters: FiltersIn | None = None
    retry: RetryIn | None = None
    rate_limit_per_second: float | None = Field(default=None, ge=1, le=100_000)
    max_concurrency: int | None = Field(default=None, ge=1, le=1000)


class DestinationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None
    source_ids: list[int] | None = None
    enabled: bool | None = None
    filters: FiltersIn | None = None
    retry: RetryIn | None = None
    rate_limit_per_second: float | None = Field(default=None, ge=1, le=100_000)
    max_concurrency: int | None = Field(default=None, ge=1, le=1000)


class DestinationOut(BaseModel):
    id: int
    name: str
    type: str
    display_name: str
    settings: dict[str, Any]
    source_ids: list[int]
    enabled: bool
    filters: dict[str, Any]
    retry: dict[str, Any] | None
    rate_limit_per_second: float | None
    max_concurrency: int | None
    created_at: datetime

    @classmethod
    def of(cls, d: Destination, display_name: str, masked: dict[str, Any]) -> DestinationOut:
        return cls(
            id=d.id,
            name=d.name,
            type=d.type,
            display_name=display_name,
            settings=masked,
            source_ids=d.source_ids,
            enabled=d.enabled,
            filters=d.filters or {},
            retry=d.retry,
            rate_limit_per_second=d.rate_limit_per_second,
            max_concurrency=d.max_concurrency,
            created_at=d.created_at,
        )


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: dict[str, Any] = Field(description="A Segment event as JSON, with its `type`.")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(
        default=Status.FAILED, description="failed, or all (every finished delivery)"
    )
    since: datetime | None = None
    until: datetime | None = None


class ReplayOut(BaseModel):
    queued: int
