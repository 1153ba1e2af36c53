"""``UNSET``: the value of an argument the caller did not give (update = leave as it is).

``None`` cannot play that part, because ``None`` is a value a caller may give on purpose (a
district's ``image=None`` removes its image). Update functions take ``UNSET`` as the default of
every field; both faces pass through only what their client sent.
"""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeAlias


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Final = _Unset.UNSET
UnsetType: TypeAlias = Literal[_Unset.UNSET]

__all__ = ["UNSET", "UnsetType"]
