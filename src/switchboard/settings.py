"""Runtime configuration: one pydantic-settings class read from `SWITCHBOARD_*` variables.

Nothing here is read at import time; callers build a `Settings` with `get_settings()` (the
CLI and the app factory) or construct one directly (tests).
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from switchboard.ingest.body import BODY_TIMEOUT_SECONDS
from switchboard.jobs import defaults as job_defaults
from switchboard.retention.prune import PRUNE_BATCH

Network = IPv4Network | IPv6Network


class Settings(BaseSettings):
    """Everything an operator can set; see docs/configuration.md for each variable."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./switchboard.db",
        description="SQLAlchemy URL: sqlite:///path, or postgresql+psycopg://… in production.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for the RQ queue; unset means the in-process executor."
    )
    admin_token: SecretStr | None = Field(
        default=None, description="A static bearer token for the admin API (automation)."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Key for sessions and for encrypting destination secrets."
    )
    allow_private_destinations: bool = False
    public_url: str | None = Field(
        default=None,
        description="How clients reach this server (https://cdp.example.com); used in the "
        "analytics.js settings. Unset: taken from each request's Host and scheme.",
    )
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or CIDRs whose X-Forwarded-For/-Proto are believed.",
    )
    ingest_writers: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Group-commit writer connections per process; 0: 2 on Postgres, 1 on SQLite.",
    )
    ingest_max_rows_per_commit: int = Field(default=2000, ge=1, le=20000)
    ingest_body_timeout_seconds: float = Field(
        default=BODY_TIMEOUT_SECONDS,
        gt=0,
        le=3600,
        description="How long a client may take to send a whole tracking-API request body; "
        "slower ones are answered 408 (a slowloris or an endless body cannot hold a request).",
    )
    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=0,
        description="Allocations between young-generation GC passes in the server (0: Python's "
        "default); see switchboard.app.tune_gc.",
    )
    delivery_lease_seconds: float = Field(
        default=job_defaults.LEASE_SECONDS,
        gt=0,
        description="How long a deliver job owns its deliveries; past it, a dead job's work "
        "is handed to another worker.",
    )
    requeue_after_seconds: float = Field(
        default=job_defaults.REQUEUE_AFTER_SECONDS,
        gt=0,
        description="Re-enqueue a delivery its job has not claimed by then.",
    )
    unrouted_after_seconds: float = Field(
        default=job_defaults.UNROUTED_AFTER_SECONDS,
        gt=0,
        description="Route an event the router has not routed by then.",
    )
    scheduler_tick_seconds: float = Field(
        default=job_defaults.SCHEDULER_TICK_SECONDS,
        gt=0,
        le=60,
        description="How often the scheduler looks for due work.",
    )
    write_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a write-key lookup is cached per process (revocation delay).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe log records written."
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object a line; text: for a terminal."
    )
    access_log: bool = Field(
        default=False, description="One log line per HTTP request (costs ingest throughput)."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="A bearer token /metrics requires; unset: /metrics is open."
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port on which `switchboard worker` serves /metrics; unset: none.",
    )
    shutdown_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="On SIGTERM, how long open requests get to finish before they are cut.",
    )
    event_retention_days: float = Field(
        default=30.0,
        ge=0,
        description="Events (with their deliveries and attempts) older than this are pruned; "
        "0 keeps them forever.",
    )
    attempt_retention_days: float = Field(
        default=7.0,
        ge=0,
        description="Delivery attempts (recorded HTTP exchanges) older than this are pruned; "
        "0 keeps them as long as their event.",
    )
    prune_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often a worker (or serve without Redis) prunes."
    )
    prune_batch_size: int = Field(
        default=PRUNE_BATCH, ge=1, le=100_000, description="Rows deleted per pruning transaction."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [
                ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
            ]
        return value

    @field_validator("public_url")
    @classmethod
    def _scheme_required(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (https://cdp.example.com)")
        return value.rstrip("/") if value else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_token", "secret_key", "metrics_token")
    @classmethod
    def _refuse_placeholders(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder; set a real random value")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "password", "admin"}


def get_settings(**overrides: object) -> Settings:
    """Read the environment (and explicit overrides, which win) into a validated `Settings`."""
    return Settings(**overrides)  # type: ignore[arg-type]
