"""Tables for accepted and rejected events.

Each index serves a query the admin API or the debugger makes; see `events/service.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, BigId, JsonDoc, UTCDateTime


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    # The track event's name, or the page/screen name.
    event_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    anonymous_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    message_id: Mapped[str] = mapped_column(String(100))
    original_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)

    __table_args__ = (
        # Dedup: one row per (source, messageId), whichever server process the retry reaches.
        UniqueConstraint("source_id", "message_id"),
        Index(None, "source_id", "id"),
        Index(None, "source_id", "type", "id"),
        Index(None, "event_name", "id"),
        Index(None, "user_id", "id"),
        Index(None, "anonymous_id", "id"),
    )


class RouteQueue(Base):
    """Events stored but not routed yet: written with the event, deleted by the router.

    A separate small table, not a flag on `events`: marking an event routed would rewrite its
    whole row and every index entry (bench/e2e measured it as the largest share of the
    database's work per event); inserting and deleting a two-column row is cheap, and the
    scheduler's scan for events whose route job was lost reads only this table.
    """

    __tablename__ = "route_queue"

    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RejectedEvent(Base):
    """An event the tracking API refused, kept so the debugger can show why."""

    __tablename__ = "rejected_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[Any] = mapped_column(JsonDoc, nullable=True)

    __table_args__ = (Index(None, "source_id", "id"),)
