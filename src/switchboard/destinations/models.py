"""Tables for configured destinations and their connections to sources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from switchboard.db.base import Base, JsonDoc, UTCDateTime, utcnow


class Destination(Base):
    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    # The adapter's settings as JSON, encrypted with SWITCHBOARD_SECRET_KEY (Fernet).
    settings_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"allow_types": [...], "deny_types": [...], "allow_events": [...], "deny_events": [...]}
    filters: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # 0: mappings not yet made (a destination stored before the kit); 1: made (presets, or
    # converted from its settings by destinations/adopt.py).
    mappings_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Overrides of the retry policy (jobs/retry.py field names); null: the defaults.
    retry: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    rate_limit_per_second: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_concurrency: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    connections: Mapped[list[Connection]] = relationship(
        back_populates="destination", cascade="all, delete-orphan", lazy="selectin"
    )

    mappings: Mapped[list[DestinationMapping]] = relationship(
        back_populates="destination",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(DestinationMapping.position, DestinationMapping.id)",
    )

    @property
    def source_ids(self) -> list[int]:
        return sorted(c.source_id for c in self.connections)


class Connection(Base):
    """Events from `source_id` go to `destination_id`."""

    __tablename__ = "connections"

    destination_id: Mapped[int] = mapped_column(
        ForeignKey("destinations.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    destination: Mapped[Destination] = relationship(back_populates="connections")


class DestinationMapping(Base):
    """One action of a kit destination: which events (`trigger`, Segment's subscription
    syntax) get it, with what fields (`mapping`, Segment's mapping language). Enabled ones
    run in `position` order."""

    __tablename__ = "destination_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(Text)
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    destination: Mapped[Destination] = relationship(back_populates="mappings")

    __table_args__ = (Index(None, "destination_id", "position"),)
