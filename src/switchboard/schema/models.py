"""Rollup tables behind the schema view, kept up to date by the route job.

The schema view never reads `events`: each routed batch adds its counts here (see
`schema/rollups.py`), one row per (source, day), per (source, day, event) and per
(source, event, day, property path). Days are UTC calendar days of the events' `receivedAt`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base


class SchemaSourceDay(Base):
    """How many events a source received on one day: the volume chart, always exact."""

    __tablename__ = "schema_source_days"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)


class SchemaEventDay(Base):
    """How many calls of one event a source received on one day.

    `event_key` names the event: `track:<event name>` for track calls, the call type
    (`identify`, `page`, `screen`, `group`, `alias`) for the others. At most
    `rollups.MAX_EVENTS_PER_DAY` keys per source and day are kept, so a sender making up a
    new event name per call cannot grow this table without bound.
    """

    __tablename__ = "schema_event_days"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(270), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    calls: Mapped[int] = mapped_column(BigInteger)


class SchemaPropertyDay(Base):
    """In how many calls of one event, on one day, a property path was present.

    `kind` is where the path was found: `properties`, `traits` or `context.traits`.
    Paths are the top-level keys and one nested level (`address.city`); at most
    `rollups.MAX_PATHS_PER_EVENT_DAY` per event and day are kept.
    """

    __tablename__ = "schema_property_days"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    event_key: Mapped[str] = mapped_column(String(270), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)
