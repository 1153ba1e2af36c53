"""The one folding rule of title search: the stored folded title and every search term.

``fold(text)`` is Unicode case folding (``str.casefold``) of the NFC text, NFC again: pure
Python, so SQLite and PostgreSQL store and compare the same string whatever the database's
locale. ``casefold`` rather than ``lower`` because it is Unicode's rule for caseless matching:
``Σ``, ``σ`` and final ``ς`` all fold to ``σ`` (``lower`` would keep ``ς`` apart), ``ẞ``/``ß``
fold to ``ss``. Consequences, by design: ``strasse`` finds «Straße» (and ``ß`` finds ``ss``);
``İ`` folds to ``i`` + U+0307, so ``i`` finds «İzmir»; a title typed with combining marks
(``и`` + U+0306) matches the precomposed ``й``. ``ё`` and ``е`` stay different letters.

It lives at the bottom layer because the models keep the stored value right on every ORM write
(``models``), and the domain folds the terms it searches for with the same function.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` as title search compares it (see the module docstring)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
