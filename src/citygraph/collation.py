"""Russian collation for titles, the same on SQLite as PostgreSQL's ICU ``ru`` collation.

PostgreSQL orders titles with ICU's ``ru-x-icu`` collation: Cyrillic before Latin, ``ё`` as a
variant of ``е``, ``й`` a letter of its own, case and diacritics deciding only ties. SQLite has
no ICU, so its order comes from this table: the primary classes of ICU ``ru`` for the
characters titles use (ASCII, Latin-1, Cyrillic, Russian typography), in order, as ICU itself
groups them at primary strength (``tests/foundation/test_collation.py`` regenerates it from
PostgreSQL and compares). A title's
key compares the primary classes first, then the case-folded text (secondary: ``е`` before
``ё``), then the text with its case swapped (tertiary: lower case first), as ICU does; other
characters sort after all of these, by code point.

SQLite sorts by ``cg_ru_key(title)``: the three parts in one string whose binary (UTF-8) order
is the key's order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from citygraph.db import sqlite_function

#: ICU ``ru`` at primary strength: each string is one class of equal characters, in order.
PRIMARY_CLASSES: Final = (
    " \xa0",
    "_",
    "-",
    "–",
    "—",
    ",",
    ";",
    ":",
    "!",
    "¡",
    "?",
    "¿",
    ".",
    "…",
    "·",
    "'",
    "‘",
    "’",
    "‚",
    '"',
    "“",
    "”",
    "„",
    "«",
    "»",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "§",
    "¶",
    "@",
    "*",
    "/",
    "\\",
    "&",
    "#",
    "%",
    "`",
    "´",
    "^",
    "¯",
    "¨",
    "¸",
    "°",
    "҂",
    "©",
    "®",
    "+",
    "±",
    "÷",
    "×",
    "<",
    "=",
    ">",
    "¬",
    "|",
    "¦",
    "~",
    "¤",
    "¢",
    "$",
    "£",
    "¥",
    "0",
    "1¹",
    "½",
    "¼",
    "2²",
    "3³",
    "¾",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "аАӑӐӓӒ",
    "әӘӛӚ",
    "ӕӔ",
    "бБ",
    "вВ",
    "гГѓЃґҐ",
    "ғҒ",
    "ӻӺ",
    "ҕҔ",
    "ӷӶ",
    "дД",
    "ђЂ",
    "ҙҘ",
    "еЕѐЀӗӖёЁ",
    "єЄ",
    "жЖӂӁӝӜ",
    "җҖ",
    "зЗӟӞ",
    "ѕЅ",
    "ӡӠ",
    "иИѝЍӥӤӣӢ",
    "ҋҊ",
    "іІїЇ",
    "йЙ",
    "јЈ",
    "кКќЌ",
    "қҚ",
    "ӄӃ",
    "ҡҠ",
    "ҟҞ",
    "ҝҜ",
    "лЛ",
    "ӆӅ",
    "љЉ",
    "мМ",
    "ӎӍ",
    "нН",
    "ӊӉ",
    "ңҢ",
    "ӈӇ",
    "ҥҤ",
    "њЊ",
    "оОӧӦ",
    "өӨӫӪ",
    "пП",
    "ҧҦ",
    "ҁҀ",
    "рР",
    "ҏҎ",
    "сС",
    "ҫҪ",
    "тТ",
    "ҭҬ",
    "ћЋ",
    "уУўЎӱӰӳӲӯӮ",
    "үҮ",
    "ұҰ",
    "ѹѸ",
    "фФ",
    "хХ",
    "ӽӼ",
    "ӿӾ",
    "ҳҲ",
    "һҺ",
    "ѡѠ",
    "ѿѾ",
    "ѽѼ",
    "ѻѺ",
    "цЦ",
    "ҵҴ",
    "чЧӵӴ",
    "ҷҶ",
    "ӌӋ",
    "ҹҸ",
    "ҽҼ",
    "ҿҾ",
    "џЏ",
    "шШ",
    "щЩ",
    "ъЪ",
    "ыЫӹӸ",
    "ьЬ",
    "ҍҌ",
    "ѣѢ",
    "эЭӭӬ",
    "юЮ",
    "яЯ",
    "ѥѤ",
    "ѧѦ",
    "ѫѪ",
    "ѩѨ",
    "ѭѬ",
    "ѯѮ",
    "ѱѰ",
    "ѳѲ",
    "ѵѴѷѶ",
    "ҩҨ",
    "ӏӀ",
    "aAªáÁàÀâÂåÅäÄãÃ",
    "æÆ",
    "bB",
    "cCçÇ",
    "dDðÐ",
    "eEéÉèÈêÊëË",
    "fF",
    "gG",
    "hH",
    "iIíÍìÌîÎïÏ",
    "jJ",
    "kK",
    "lL",
    "mM",
    "nNñÑ",
    "№",
    "oOºóÓòÒôÔöÖõÕøØ",
    "pP",
    "qQ",
    "rR",
    "sS",
    "ß",
    "tT",
    "uUúÚùÙûÛüÜ",
    "vV",
    "wW",
    "xX",
    "yYýÝÿ",
    "zZ",
    "þÞ",
    "µ",
)
#: Characters ICU ignores at primary strength (the soft hyphen, combining Cyrillic marks).
IGNORABLE: Final = "\xad҃҄҅҆҇҈҉"

_FIRST_CLASS = 0xE000  # private-use code points stand for the classes, in order
_OTHERS = 0xF0000  # characters outside the table: after every class, by code point


def _primary_table() -> dict[str, str]:
    table = dict.fromkeys(IGNORABLE, "")
    for rank, members in enumerate(PRIMARY_CLASSES):
        for char in members:
            table[char] = chr(_FIRST_CLASS + rank)
    return table


_PRIMARY: Final = _primary_table()


def _primary(text: str) -> str:
    return "".join(
        _PRIMARY.get(char) or ("" if char in _PRIMARY else chr(min(_OTHERS + ord(char), 0x10FFFF)))
        for char in text
    )


@lru_cache(maxsize=4096)
def sort_key(text: str) -> tuple[str, str, str]:
    """The key Russian order sorts ``text`` by (primary, secondary, tertiary)."""
    return _primary(text), text.casefold(), text.swapcase()


_SEPARATOR: Final = "\x01"  # below every character a key part holds (titles hold no NUL)


@sqlite_function("cg_ru_key", 1)
def binary_key(text: str | None) -> str | None:
    """``sort_key`` as one string that SQLite's binary order sorts the same way."""
    if text is None:
        return None
    return _SEPARATOR.join(sort_key(text))
