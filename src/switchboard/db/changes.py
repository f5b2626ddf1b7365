"""`KEEP`: the default of a store's optional column arguments, meaning "leave it as it is".

`None` cannot say that, because for a nullable column it is a value (it clears the column).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final, Literal, TypeAlias, TypeVar

T = TypeVar("T")


class Keep(Enum):
    KEEP = "keep"


KEEP: Final = Keep.KEEP

#: The type of an argument that may be `KEEP`: `Kept[float | None]`.
Kept: TypeAlias = T | Literal[Keep.KEEP]


def apply(row: object, **values: Any) -> None:
    """Set each attribute of `row` named in `values` to its value, except those given as
    `KEEP`, which keep theirs."""
    for name, value in values.items():
        if value is not KEEP:
            setattr(row, name, value)
