"""The shape of the code, checked: which part may import which, and who writes the tables.

docs/architecture.md draws the rules; this walks every module under `src/switchboard` and
fails on an import that runs against them or a table write outside a store module, naming
the module and the line. It reads the source (AST), imports nothing of ours.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "switchboard"

#: Every part of ours: the first names under `switchboard.` (a package or a module).
PARTS = frozenset(
    path.stem if path.is_file() else path.name
    for path in PACKAGE.iterdir()
    if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
)
#: What starts a process or serves requests: nothing below it may know it.
ENTRY = frozenset({"app", "cli", "runtime", "worker"})
#: The request layers.
WEB = frozenset({"admin", "dashboard", "web"})
#: The domain slices: tables, queries and services, knowing nothing of how they are served or
#: run.
SLICES = frozenset({"sources", "destinations", "events", "deliveries", "schema", "users"})

#: Packages of ours that a part must never import (by its first name under `switchboard.`).
#: Vendor code is pure (settings and events in, HTTP exchanges and outcomes out), so the
#: worker, the event tester and the dry run run the same code: no database, queue or UI.
FORBIDDEN: dict[str, frozenset[str]] = {
    "spec": PARTS - {"spec"},
    "routing": PARTS - {"spec", "routing", "deliveries"},
    "integrations": PARTS - {"spec", "integrations"},
    "ingest": ENTRY | WEB | {"integrations", "jobs"},
    "jobs": ENTRY | WEB,
    "admin": ENTRY - {"runtime"} | {"dashboard"},
    "dashboard": ENTRY - {"runtime"} | {"admin"},
    "web": ENTRY - {"runtime"} | {"admin", "dashboard"},
    **{part: ENTRY | WEB | {"jobs"} for part in SLICES},
}

#: Where table writes may be: each slice's store module, and the one bulk-write helper the
#: stores call.
WRITERS = re.compile(r"^switchboard\.(\w+\.)*store$|^switchboard\.db\.bulk$")

#: SQL text that changes a table.
WRITE_SQL = re.compile(
    r"^\s*(with\b.*\b)?(insert\s+into|update\s+\w+(\s+as\s+\w+)?\s+set|delete\s+from|truncate)\b",
    re.IGNORECASE | re.DOTALL,
)
#: SQLAlchemy's statement builders that change a table.
WRITE_BUILDERS = frozenset({"insert", "update", "delete"})
#: Session methods that change a table at the next flush.
SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge"})


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def part(self) -> str:
        """The first name under `switchboard.` ("jobs" for switchboard.jobs.route)."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{getattr(node, 'lineno', 0)}"


def modules() -> Iterator[Module]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield Module(".".join(parts), path, ast.parse(path.read_text(), str(path)))


def imported(module: Module) -> Iterator[tuple[str, ast.AST]]:
    """Every module of ours `module` imports, with the node that does it (relative imports
    resolved; `from switchboard.x import y` counts as switchboard.x)."""
    package = module.name.split(".")
    if module.path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("switchboard"):
                    yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.startswith("switchboard"):
                yield name, node


def test_every_part_imports_only_what_it_may() -> None:
    wrong = []
    for module in modules():
        forbidden = FORBIDDEN.get(module.part, frozenset())
        for name, node in imported(module):
            target = name.split(".")
            if len(target) > 1 and target[1] in forbidden:
                wrong.append(f"{module.where(node)}: {module.part} must not import {name}")
    assert wrong == [], "\n".join(wrong)


def writes(module: Module) -> Iterator[tuple[str, ast.AST]]:
    """What in `module` changes a table: SQLAlchemy insert/update/delete builders imported,
    session add/delete/merge calls, and SQL text that inserts, updates or deletes."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in WRITE_BUILDERS:
                    yield f"imports {node.module}.{alias.name}", node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            name = (
                receiver.id
                if isinstance(receiver, ast.Name)
                else receiver.attr
                if isinstance(receiver, ast.Attribute)
                else ""
            )
            if node.func.attr in SESSION_WRITES and "session" in name.lower():
                yield f"calls {name}.{node.func.attr}()", node
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and WRITE_SQL.match(node.value)
        ):
            yield f"holds SQL {node.value.strip()[:40]!r}", node


def test_only_store_modules_write_tables() -> None:
    wrong = [
        f"{module.where(node)}: {module.name} {what}"
        for module in modules()
        if not WRITERS.match(module.name)
        for what, node in writes(module)
    ]
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from sqlalchemy import update\n", True),
        ("from sqlalchemy.dialects.sqlite import insert\n", True),
        ("def f(session):\n    session.add(1)\n", True),
        ("def f(self):\n    self._session.delete(1)\n", True),
        ("SQL = 'INSERT INTO events (id) VALUES (1)'\n", True),
        ("SQL = 'UPDATE deliveries AS d SET status = 1'\n", True),
        ("SQL = 'WITH x AS (SELECT 1) DELETE FROM route_queue'\n", True),
        ("SQL = 'SELECT id FROM events'\n", False),
        ("from sqlalchemy import select\n", False),
        ("def f(items):\n    items.add(1)\n", False),
        ("TEXT = 'update the settings'\n", False),
    ],
)
def test_the_write_check_sees_each_kind_of_write(source: str, found: bool) -> None:
    module = Module("switchboard.example", PACKAGE / "example.py", ast.parse(source))
    assert bool(list(writes(module))) is found


def test_the_import_check_resolves_relative_imports() -> None:
    tree = ast.parse("from ..jobs import retry\nfrom . import http\n")
    module = Module("switchboard.integrations.base", PACKAGE / "integrations" / "base.py", tree)
    assert [name for name, _ in imported(module)] == [
        "switchboard.jobs",
        "switchboard.integrations",
    ]
