"""The debugger's queries (dashboard/feed.py) on SQLite and Postgres: newest first, filter by
call type, search by name, ids or any text, rejections merged in, and polling past a cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from switchboard.dashboard import feed
from switchboard.events.models import Event, RejectedEvent
from tests.conftest import SourceRef

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(tx_session: Session) -> Session:
    """The feed reads through the Session it is given: one rolled back after each test."""
    return tx_session


@pytest.fixture
def source(tx_source: SourceRef) -> SourceRef:
    return tx_source


def _event(source_id: int, n: int, kind: str, **fields: Any) -> Event:
    payload = {"type": kind, "messageId": f"m{n}", **fields}
    return Event(
        source_id=source_id,
        type=kind,
        event_name=fields.get("event") or fields.get("name"),
        user_id=fields.get("userId"),
        anonymous_id=fields.get("anonymousId"),
        message_id=f"m{n}",
        timestamp=START + timedelta(seconds=n),
        received_at=START + timedelta(seconds=n),
        payload=payload,
    )


def _fill(session: Session, source: SourceRef) -> None:
    session.add_all(
        [
            _event(source.id, 1, "identify", userId="ada", traits={"plan": "pro"}),
            _event(
                source.id,
                2,
                "track",
                userId="ada",
                event="Order Completed",
                properties={"coupon": "WINTER_50%"},
            ),
            _event(source.id, 3, "page", anonymousId="anon-1", name="Pricing"),
            _event(source.id, 4, "track", anonymousId="anon-2", event="Signed Up"),
            RejectedEvent(
                source_id=source.id,
                received_at=START + timedelta(seconds=5),
                reason="groupId is required for group",
                type="group",
                message_id="bad-1",
                payload={"type": "group", "userId": "ada"},
            ),
        ]
    )
    session.commit()


def _keys(items: list[feed.FeedItem]) -> list[str]:
    return [i.message_id or "" for i in items]


def test_backlog_is_newest_first_with_rejections(session: Session, source: SourceRef) -> None:
    _fill(session, source)
    items, cursor = feed.backlog(session, feed.FeedFilter(source.id))
    assert _keys(items) == ["bad-1", "m4", "m3", "m2", "m1"]
    assert items[0].kind == "rejected"
    assert items[0].reason == "groupId is required for group"
    assert items[0].user_id == "ada"
    assert cursor.event_id == max(i.id for i in items if i.kind == "event")


def test_filters_and_search(session: Session, source: SourceRef) -> None:
    _fill(session, source)

    def found(**kwargs: Any) -> list[str]:
        return _keys(feed.backlog(session, feed.FeedFilter(source.id, **kwargs))[0])

    assert found(type="track") == ["m4", "m2"]
    assert found(type="group") == ["bad-1"]
    assert found(q="Order Completed") == ["m2"]  # exact event name
    assert found(q="anon-1") == ["m3"]  # anonymousId
    assert found(q="m4") == ["m4"]  # messageId
    assert found(q="ada", type="identify") == ["m1"]
    assert found(q="order comp") == ["m2"]  # any text, any case
    assert found(q="50%") == ["m2"]  # LIKE wildcards are taken literally
    assert found(q="_50") == ["m2"]
    assert found(q="groupid is required") == ["bad-1"]
    assert found(q="nothing like this") == []


def test_polling_returns_only_what_is_newer(session: Session, source: SourceRef) -> None:
    _fill(session, source)
    _, cursor = feed.backlog(session, feed.FeedFilter(source.id))
    session.add(_event(source.id, 9, "track", userId="bob", event="Cart Viewed"))
    session.commit()
    upto = feed.latest_cursor(session, source.id)
    newer = feed.newer(session, feed.FeedFilter(source.id), cursor, upto)
    assert _keys(newer) == ["m9"]
    assert feed.newer(session, feed.FeedFilter(source.id, type="page"), cursor, upto) == []
    assert feed.newer(session, feed.FeedFilter(source.id), upto, upto) == []
    assert feed.Cursor.parse(str(upto)) == upto
    assert feed.Cursor.parse("garbage") is None
