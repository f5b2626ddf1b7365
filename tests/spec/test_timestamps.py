from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.spec.timestamps import TimestampError, format_timestamp, parse_timestamp

EXPECTED = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01T12:00:00.123Z",
        "2026-03-01T12:00:00.123+00:00",
        "2026-03-01T13:00:00.123+01:00",
        "2026-03-01T07:00:00.123-05:00",
        "2026-03-01T12:00:00.123000+00:00",
        "2026-03-01T12:00:00.123000000Z",
        "2026-03-01T12:00:00.123z",
        "2026-03-01T12:00:00.123",
        "2026-03-01 12:00:00.123Z",
    ],
)
def test_iso_forms_clients_send_are_read_as_utc(text: str) -> None:
    assert parse_timestamp(text) == EXPECTED


def test_date_only_is_midnight_utc() -> None:
    assert parse_timestamp("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)


def test_epoch_seconds_and_milliseconds() -> None:
    assert parse_timestamp(1772366400) == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_timestamp(1772366400123) == EXPECTED


@pytest.mark.parametrize("bad", ["yesterday", "", "2026-13-01T00:00:00Z", True, None, {}])
def test_garbage_is_refused_with_the_value_named(bad: object) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(bad)


def test_output_is_milliseconds_with_z() -> None:
    assert format_timestamp(EXPECTED) == "2026-03-01T12:00:00.123Z"
