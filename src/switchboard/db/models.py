"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from switchboard.admin.models import ApiToken
from switchboard.db.base import Base
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.destinations.models import Connection, Destination
from switchboard.events.models import Event, RejectedEvent, RouteQueue
from switchboard.sources.models import Source, WriteKey

__all__ = [
    "ApiToken",
    "Attempt",
    "Base",
    "Connection",
    "Delivery",
    "Destination",
    "Event",
    "RejectedEvent",
    "RouteQueue",
    "Source",
    "WriteKey",
]
