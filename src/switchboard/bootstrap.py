"""First start: a demo source, an admin token and a dashboard login, so a newcomer can send
an event and watch it arrive at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from switchboard.admin.models import ApiToken
from switchboard.admin.tokens import issue_token
from switchboard.sources.models import Source
from switchboard.sources.service import create_source, current_key
from switchboard.users.service import ensure_first_user


@dataclass(frozen=True, slots=True)
class FirstStart:
    admin_token: str | None  # None when SWITCHBOARD_ADMIN_TOKEN is set instead
    demo_write_key: str


def first_start(sessions: sessionmaker[Session], *, static_token_set: bool) -> FirstStart | None:
    """On an empty database, create the demo source (and an admin token unless one is
    configured) and return them; on any later start, return None and change nothing."""
    with sessions() as session:
        has_sources = session.scalar(select(func.count()).select_from(Source))
        has_tokens = session.scalar(select(func.count()).select_from(ApiToken))
        if has_sources or has_tokens:
            return None
        source = create_source(session, "Demo")
        token = None if static_token_set else issue_token(session, "first start")
        session.commit()
        return FirstStart(admin_token=token, demo_write_key=current_key(source).key)


@dataclass(frozen=True, slots=True)
class FirstLogin:
    email: str
    password: str  # shown once; only its hash is stored


def first_user(sessions: sessionmaker[Session]) -> FirstLogin | None:
    """With no dashboard user at all, create one with a random password and return its login
    to print once; on any later start, return None and change nothing."""
    with sessions() as session:
        created = ensure_first_user(session)
        if created is None:
            return None
        session.commit()
        return FirstLogin(*created)
