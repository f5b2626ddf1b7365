"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from switchboard.admin.models import ApiToken
from switchboard.db.base import Base
from switchboard.events.models import Event, RejectedEvent
from switchboard.sources.models import Source, WriteKey

__all__ = ["ApiToken", "Base", "Event", "RejectedEvent", "Source", "WriteKey"]
