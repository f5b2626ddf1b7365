"""Tables for sources and their write keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from switchboard.db.base import Base, UTCDateTime, utcnow


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Events (and rejections) per second the tracking API takes for this source, per
    #: server process; null: no limit (switchboard.ingest.rate).
    rate_limit_per_second: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    keys: Mapped[list[WriteKey]] = relationship(
        back_populates="source",
        cascade="all, delete-orphan",
        order_by="WriteKey.id",
        lazy="selectin",
    )


class WriteKey(Base):
    """One write key of a source. A source may hold several at once so a key can be rotated
    without downtime: the old key keeps working until `expires_at`."""

    __tablename__ = "write_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    source: Mapped[Source] = relationship(back_populates="keys")
