"""Find the labels of a vocabulary in a text: longest match first, whole words, no overlaps.

Labels are matched in the folded text (case and accents ignored; a space in a label also
matches a hyphen or a line break); acronyms are matched case-sensitively in the original text.
Every label of a lexicon goes into one Aho–Corasick automaton (`pyahocorasick`), so a report is
read once per lexicon whatever the number of labels (450 organisations with their names in
three languages, the sectors and indicators with theirs).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import ahocorasick

from kg.folding import fold
from kg.reference.loader import Term


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    iri: str
    text: str


_SPACES = re.compile(r"[\s\-]+")
_WORD_CHAR = re.compile(r"\w")


def _key(form: str) -> str:
    """A label as the automaton holds it: runs of spaces and hyphens made one space."""
    return _SPACES.sub(" ", form.strip())


@dataclass(frozen=True)
class _Normalised:
    """A text with each run of spaces, hyphens and line breaks made one space (its folded and
    original forms, which fold keeps aligned), and the way back to the original offsets."""

    folded: str
    text: str
    starts: list[int]  # offset in the normalised text where each piece begins
    offsets: list[int]  # the original offset of each piece's first character

    def original(self, position: int) -> int:
        piece = bisect_right(self.starts, position) - 1
        return self.offsets[piece] + position - self.starts[piece]


# every character that folds to a space or a hyphen becomes a space (the length is kept)
_TO_SPACE = {ord(c): " " for c in "\t\n\r\f\v-\u00a0\u202f\u2009\u2010\u2011\u2013\u2014"}
_RUNS = re.compile(r" {2,}")


@lru_cache(maxsize=256)
def _normalise(text: str, folded: str) -> _Normalised:
    flat_folded = folded.translate(_TO_SPACE)
    flat_text = text.translate(_TO_SPACE)
    folded_parts: list[str] = []
    text_parts: list[str] = []
    starts = [0]
    offsets = [0]
    previous = 0
    position = 0
    for m in _RUNS.finditer(flat_folded):  # only runs of two or more change the offsets
        folded_parts.append(flat_folded[previous : m.start() + 1])
        text_parts.append(flat_text[previous : m.start() + 1])
        position += m.start() + 1 - previous
        previous = m.end()
        starts.append(position)
        offsets.append(previous)
    folded_parts.append(flat_folded[previous:])
    text_parts.append(flat_text[previous:])
    return _Normalised("".join(folded_parts), "".join(text_parts), starts, offsets)


def _inside_name(text: str, start: int) -> bool:
    """After "N'" as in Fada N'Gourma, a match is part of a longer name (after "l'" it is not)."""
    return start >= 2 and text[start - 1] in "'’" and text[start - 2].isupper()


def _without_overlaps(
    candidates: list[tuple[int, int, frozenset[str] | set[str]]],
) -> list[tuple[int, int, frozenset[str] | set[str]]]:
    """Longest first; a candidate overlapping one already kept is dropped."""
    kept: list[tuple[int, int, frozenset[str] | set[str]]] = []
    for cand in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        if not any(cand[0] < k[1] and k[0] < cand[1] for k in kept):
            kept.append(cand)
    return kept


def _automaton(forms: dict[str, set[str]]) -> Any:
    automaton = ahocorasick.Automaton()
    for form, iris in forms.items():
        automaton.add_word(form, (len(form), frozenset(iris)))
    automaton.make_automaton()
    return automaton


def _scan(automaton: Any, haystack: str) -> list[tuple[int, int, frozenset[str]]]:
    """Leftmost-longest whole-word matches, never overlapping (as a regular expression that
    prefers the longest label at each position would find them)."""
    found = []
    for last, (length, iris) in automaton.iter(haystack):
        start, end = last - length + 1, last + 1
        if start > 0 and _WORD_CHAR.match(haystack, start - 1):
            continue
        if end < len(haystack) and _WORD_CHAR.match(haystack, end):
            if haystack[end - 1] not in "'’":  # "plus d'": an elision is followed by a word
                continue
        found.append((start, end, iris))
    found.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    kept = []
    reached = -1
    for start, end, iris in found:
        if start >= reached:
            kept.append((start, end, iris))
            reached = end
    return kept


class Matcher:
    """A compiled lexicon: surface forms to IRIs (a form may mean several things)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        folded: dict[str, set[str]] = {}
        exact: dict[str, set[str]] = {}
        for term in terms:
            text = term.text.strip()
            if not text:
                continue
            if term.case_sensitive:
                exact.setdefault(_key(text), set()).add(term.iri)
            else:
                folded.setdefault(_key(fold(text)), set()).add(term.iri)
        self._folded = folded
        self._exact = exact

    # Built on first use: a lexicon that a command never matches costs nothing.
    @cached_property
    def _folded_ac(self) -> Any:
        return _automaton(self._folded) if self._folded else None

    @cached_property
    def _exact_ac(self) -> Any:
        return _automaton(self._exact) if self._exact else None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the automata (they are rebuilt in a few milliseconds)."""
        return {"_folded": self._folded, "_exact": self._exact}

    def iris(self, surface: str, case_sensitive: bool = False) -> set[str]:
        """What a whole surface form means (empty when the lexicon does not know it)."""
        if case_sensitive:
            return set(self._exact.get(_key(surface), set()))
        return set(self._folded.get(_key(fold(surface)), set()))

    def find(self, text: str, folded: str, start: int = 0, end: int | None = None) -> list[Match]:
        """All non-overlapping matches in text[start:end], sorted by offset.

        Each scan is leftmost-longest and non-overlapping; where label and acronym matches
        overlap, the longer one wins."""
        end = len(text) if end is None else end
        if start or end != len(text):
            text, folded, shift = text[start:end], folded[start:end], start
        else:
            shift = 0
        norm = _normalise(text, folded)
        candidates: list[tuple[int, int, frozenset[str] | set[str]]] = []
        if self._folded_ac is not None:
            for s, e, iris in _scan(self._folded_ac, norm.folded):
                begin = norm.original(s)
                if not _inside_name(text, begin):
                    candidates.append((begin, norm.original(e - 1) + 1, iris))
        if self._exact_ac is not None:
            exact: list[tuple[int, int, frozenset[str] | set[str]]] = [
                (norm.original(s), norm.original(e - 1) + 1, iris)
                for s, e, iris in _scan(self._exact_ac, norm.text)
            ]
            if candidates and exact:
                candidates = _without_overlaps(candidates + exact)
            else:
                candidates = candidates or exact
        return [
            Match(s + shift, e + shift, iri, text[s:e])
            for s, e, found in sorted(candidates, key=lambda c: (c[0], c[1]))
            for iri in sorted(found)
        ]
