"""Admin API shapes for sources."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from switchboard.sources.models import Source
from switchboard.sources.service import active_keys, current_key


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    rate_limit_per_second: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description="Events per second the tracking API takes for this source, in each server "
        "process; more answers 429 with Retry-After. null: no limit.",
    )


class SourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    rate_limit_per_second: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description="Events per second the tracking API takes for this source, in each server "
        "process; more answers 429 with Retry-After. null: no limit.",
    )


class RotateKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_seconds: int = Field(
        default=86400, ge=0, le=30 * 86400, description="How long the old keys keep working."
    )


class WriteKeyOut(BaseModel):
    key: str
    created_at: datetime
    expires_at: datetime | None


class SourceOut(BaseModel):
    id: int
    name: str
    write_key: str
    write_keys: list[WriteKeyOut]
    enabled: bool
    rate_limit_per_second: float | None
    created_at: datetime

    @classmethod
    def of(cls, source: Source) -> SourceOut:
        return cls(
            id=source.id,
            name=source.name,
            write_key=current_key(source).key,
            write_keys=[
                WriteKeyOut(key=k.key, created_at=k.created_at, expires_at=k.expires_at)
                for k in active_keys(source)
            ],
            enabled=source.enabled,
            rate_limit_per_second=source.rate_limit_per_second,
            created_at=source.created_at,
        )
