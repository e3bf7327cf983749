"""Folding text for matching: lower case, accents off, typographic punctuation made plain.

Folding keeps one character per character, so an offset found in the folded text is an offset
in the original. Letters with no decomposition get their plain form too ("ı" is "i", "ł" is
"l", "ø" is "o"), so "Kızılay" and "Kizilay" meet. Shared by the reference data (name keys of
the gazetteer) and the loaders (the folded report text).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_SPECIAL = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201c": '"',
    "\u201d": '"',
    **{mark: " " for mark in "¹²³⁴⁵⁶⁷⁸⁹⁰"},
    # letters NFKD leaves alone
    "ı": "i",
    "İ": "i",
    "ł": "l",
    "Ł": "l",
    "ø": "o",
    "Ø": "o",
    "đ": "d",
    "Đ": "d",
    "ħ": "h",
    "ß": "s",
    "æ": "a",
    "Æ": "a",
    "œ": "o",
    "Œ": "o",
    "ʿ": "'",
    "ʾ": "'",
    "ʻ": "'",
}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = unicodedata.normalize("NFKD", char)[:1] or char
    if unicodedata.combining(base):
        base = char
    lower = base.lower()
    return lower if len(lower) == 1 else base


# A cache, filled as characters are met: the translation table of every character folded so far.
_FOLD_TABLE: dict[int, str] = {}


def fold(text: str) -> str:
    """Lower-case, accent-free copy of the same length."""
    for char in set(text) - _FOLDED_CHARS:
        _FOLD_TABLE[ord(char)] = _fold_char(char)
        _FOLDED_CHARS.add(char)
    return text.translate(_FOLD_TABLE)


_FOLDED_CHARS: set[str] = set()
