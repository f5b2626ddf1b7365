"""`KEEP`: the default of a store's optional column arguments, meaning "leave it as it is".

`None` cannot say that, because for a nullable column it is a value (it clears the column).
"""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal, TypeAlias, TypeVar

T = TypeVar("T")


class Keep(Enum):
    KEEP = "keep"


KEEP: Final = Keep.KEEP

#: The type of an argument that may be `KEEP`: `Kept[float | None]`.
Kept: TypeAlias = T | Literal[Keep.KEEP]
