"""How commands print what they did: JSON with `--json`, else a line a person reads."""

from __future__ import annotations

import argparse
import json
from typing import Any, TypeAlias

#: What each group's `register(commands)` adds its parser to (argparse gives it no public name).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def show(args: argparse.Namespace, records: Any, text: str) -> None:
    """Print `records` as JSON when the command was given `--json`, else `text`."""
    if getattr(args, "json", False):
        print(json.dumps(records, indent=2, default=str))
    else:
        print(text)
