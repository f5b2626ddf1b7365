"""Log records as one JSON object a line, with the request id, and never a secret.

Every record passes through `Redactor` before it is written, whatever logged it (our code,
uvicorn, RQ, SQLAlchemy): the configured secrets (admin token, secret key, metrics token,
database and Redis passwords) are replaced wherever they appear, and so are the places a
write key or a credential can show up in text: Basic and Bearer credentials, `writeKey`
fields, the write key in `/v1/projects/<key>/settings`, passwords in URLs and secret-looking
query parameters. httpx logs every request URL at INFO, so it is held at WARNING.
"""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from switchboard.settings import Settings

#: The id of the HTTP request being served (set by `switchboard.app.Switchboard`).
REQUEST_ID: ContextVar[str | None] = ContextVar("switchboard_request_id", default=None)
#: The id of the RQ job being run (set by `switchboard.jobs.worker.Worker`).
JOB_ID: ContextVar[str | None] = ContextVar("switchboard_job_id", default=None)

REDACTED: Final = "[redacted]"

_PATTERNS: Final = (
    # Authorization: Basic dXNlcjo= / Bearer sb_… (the write key is the Basic user name).
    (re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~-]{4,}"), rf"\1\2{REDACTED}"),
    # "writeKey": "…", writeKey=…, write_key: …
    (
        re.compile(r"""(?i)(["']?write_?key["']?\s*[:=]\s*["']?)[^"'&\s,;}]+"""),
        rf"\1{REDACTED}",
    ),
    # The analytics.js settings path carries the write key.
    (re.compile(r"(/projects/)[^/\s\"'?]+(/settings)"), rf"\1{REDACTED}\2"),
    # scheme://user:password@host
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@"), rf"\1{REDACTED}@"),
    # ?api_key=…&token=…
    (
        re.compile(
            r"(?i)([?&](?:access_?token|api_?key|apikey|token|secret|password|passwd"
            r"|client_?secret|key|signature|sig)=)[^&\s\"']+"
        ),
        rf"\1{REDACTED}",
    ),
)

#: LogRecord attributes that are not extra fields.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "color_message"}  # uvicorn's copy of the message, with colours
)


def url_password(url: str | None) -> str | None:
    """The password in a database or Redis URL, if it has one."""
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret value that must never appear in a log line."""
    values = [
        settings.admin_token.get_secret_value() if settings.admin_token else None,
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        url_password(settings.database_url),
        url_password(settings.redis_url),
    ]
    return [v for v in values if v]


class Redactor:
    """Replaces known secret values and credential-shaped text in a string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole. Very short
        # values would blank out ordinary words; the settings refuse such secrets anyway.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, request_id / job_id, exception,
    and any `extra` fields; every string redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            document["request_id"] = request_id
        job_id = JOB_ID.get()
        if job_id is not None:
            document["job_id"] = job_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in document:
                document[key] = self.redact(value) if isinstance(value, str) else value
        if record.exc_info:
            document["exception"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            document["stack"] = self.redact(self.formatStack(record.stack_info))
        return orjson.dumps(document, default=str).decode()


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, redacted like the JSON ones."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        ids = [value for value in (REQUEST_ID.get(), JOB_ID.get()) if value is not None]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return self.redact(super().format(record))


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` document: everything to stderr through our formatter.

    uvicorn applies it in each server process (`uvicorn.run(log_config=…)`); the other
    commands apply it with `configure`.
    """
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = settings.log_level
    quiet = "WARNING" if level != "DEBUG" else "DEBUG"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "switchboard": {
                "()": f"{formatter.__module__}.{formatter.__qualname__}",
                "secrets": secrets_of(settings),
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "switchboard",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own handlers would bypass the formatter: send its records to root.
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
            # One INFO line per outgoing request, URL included: too many, and URLs may
            # carry credentials.
            "httpx": {"level": "WARNING" if level != "DEBUG" else "INFO"},
            "httpcore": {"level": quiet},
        },
    }


def configure(settings: Settings) -> None:
    """Apply `logging_config(settings)` to this process."""
    logging.config.dictConfig(logging_config(settings))
