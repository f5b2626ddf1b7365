"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from switchboard.admin.models import ApiToken
from switchboard.db.base import Base
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.rollups import DeliveryRollup
from switchboard.destinations.models import Connection, Destination, DestinationMapping
from switchboard.events.models import Event, RejectedEvent, RouteQueue
from switchboard.schema.models import SchemaEventDay, SchemaPropertyDay, SchemaSourceDay
from switchboard.sources.models import Source, WriteKey
from switchboard.users.models import User, UserSession

__all__ = [
    "ApiToken",
    "Attempt",
    "Base",
    "Connection",
    "Delivery",
    "DeliveryRollup",
    "Destination",
    "DestinationMapping",
    "Event",
    "RejectedEvent",
    "RouteQueue",
    "SchemaEventDay",
    "SchemaPropertyDay",
    "SchemaSourceDay",
    "Source",
    "User",
    "UserSession",
    "WriteKey",
]
