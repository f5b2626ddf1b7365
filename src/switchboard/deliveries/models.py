"""Tables for deliveries and attempts.

A delivery row exists for every routing decision, not only for sends: `skipped` (the
integrations object turned the destination off), `filtered` (a destination filter),
`unsupported` (the adapter cannot take that call) are recorded with the reason, so every
decision is queryable. The statuses are `deliveries/status.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, BigId, JsonDoc, UTCDateTime, utcnow


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id", ondelete="CASCADE"))
    # The destination mapping (destinations/models.py) this delivery runs; 0 for an adapter
    # without mappings. Not a foreign key: a delivery outlives its mapping, and says so.
    mapping_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A deliver job owns the row until then; an expired lease means the job died.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The per-destination options from the event's integrations object.
    options: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The give-up clock starts here when set (a replay), else at the event's arrival.
    retry_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("event_id", "destination_id", "mapping_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "destination_id", "status", "id"),
        Index(None, "destination_id", "id"),
        Index(None, "destination_id", "updated_at"),
        # Event delivery's issue examples (deliveries/insights.py): only rows that carry an
        # error code are indexed, so delivered rows (no code) cost the write path nothing.
        Index(
            None,
            "destination_id",
            "status",
            "code",
            "id",
            postgresql_where=text("code IS NOT NULL"),
            sqlite_where=text("code IS NOT NULL"),
        ),
    )


class Attempt(Base):
    """One try at one delivery, with every HTTP exchange it made (redacted, capped)."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    exchanges: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
