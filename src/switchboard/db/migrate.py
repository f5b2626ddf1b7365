"""Run Alembic migrations from code (the CLI, tests and `make run` use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from switchboard.db.engine import normalize_url


def _alembic_ini() -> Path:
    """Find alembic.ini: inside an installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "alembic.ini", here.parents[3] / "alembic.ini"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("alembic.ini not found next to the package or at the repository top")


def alembic_config(url: str) -> Config:
    ini = _alembic_ini()
    config = Config(str(ini))
    # An installed wheel keeps the migrations inside the package.
    migrations = ini.parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def is_current(engine: Engine) -> bool:
    """True when the database at `engine` is migrated to the newest revision."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False)))
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_heads() == tuple(script.get_heads())


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
