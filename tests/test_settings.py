from __future__ import annotations

import pytest
from pydantic import ValidationError

from switchboard.settings import Settings


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("SWITCHBOARD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    settings = Settings()
    assert settings.database_url == "sqlite:///x.db"
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "127.0.0.1/32"]


@pytest.mark.parametrize("value", ["changeme", "secret", ""])
def test_placeholder_secrets_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(admin_token=value)


def test_public_url_needs_a_scheme() -> None:
    with pytest.raises(ValidationError, match="http"):
        Settings(public_url="cdp.example.com")
    assert Settings(public_url="https://cdp.example.com/").public_url == "https://cdp.example.com"
