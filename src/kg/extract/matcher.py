"""Find the labels of a vocabulary in a text: longest match first, whole words, no overlaps.

Labels are matched in the folded text (case and accents ignored; a space in a label also
matches a hyphen or a line break); acronyms are matched case-sensitively in the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kg.extract.text import fold
from kg.reference import Term


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    iri: str
    text: str


Trie = dict[str, "Trie"]
_SEP = "\x00"  # a space or hyphen in a label: matches any run of spaces, hyphens, line breaks
_END = ""


def _trie_pattern(forms: dict[str, set[str]]) -> str:
    """One regular expression for all forms, shaped as a character trie: the engine tries one
    branch per next character instead of every label at every position (several times faster
    on lexicons of thousands of labels), and still prefers the longest form at a position."""
    trie: Trie = {}
    for form in forms:
        node = trie
        for char in re.sub(r"[\s\-]+", _SEP, form.strip()):
            node = node.setdefault(char, {})
        node[_END] = {}
    return _node_pattern(trie)


def _node_pattern(node: Trie) -> str:
    branches = []
    for char in sorted((c for c in node if c != _END), key=lambda c: (c == _SEP, c)):
        head = r"[\s\-]+" if char == _SEP else re.escape(char)
        branches.append(head + _node_pattern(node[char]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        return "(?:" + body + ")?"
    return body


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
                exact.setdefault(text, set()).add(term.iri)
            else:
                folded.setdefault(fold(text), set()).add(term.iri)
        self._folded = folded
        self._exact = exact

    # Compiled on first use: a report uses the place lexicons of its own countries only, and
    # compiling all of them was 0.14 s of a one-report build.
    @cached_property
    def _folded_re(self) -> re.Pattern[str] | None:
        return self._compile(self._folded)

    @cached_property
    def _exact_re(self) -> re.Pattern[str] | None:
        return self._compile(self._exact)

    @staticmethod
    def _compile(forms: dict[str, set[str]]) -> re.Pattern[str] | None:
        if not forms:
            return None
        # a form ending with an elision ("plus d'", "l'") is followed by a word at once
        return re.compile(rf"(?<![\w])(?:{_trie_pattern(forms)})(?:(?<=['’])|(?![\w]))")

    def iris(self, surface: str, case_sensitive: bool = False) -> set[str]:
        """What a whole surface form means (empty when the lexicon does not know it)."""
        if case_sensitive:
            return set(self._exact.get(surface.strip(), set()))
        return set(self._lookup_folded(re.sub(r"[\s\-]+", " ", fold(surface.strip()))))

    def find(self, text: str, folded: str, start: int = 0, end: int | None = None) -> list[Match]:
        """All non-overlapping matches in text[start:end], sorted by offset.

        Each regex scan is already leftmost-longest and non-overlapping; where label and
        acronym matches overlap, the longer one wins.
        """
        end = len(text) if end is None else end
        candidates: list[tuple[int, int, frozenset[str] | set[str]]] = []
        if self._folded_re is not None:
            for m in self._folded_re.finditer(folded, start, end):
                if _inside_name(text, m.start()):
                    continue
                form = m.group(0)
                iris = self._folded.get(form) or self._lookup_folded(re.sub(r"[\s\-]+", " ", form))
                candidates.append((m.start(), m.end(), iris))
        if self._exact_re is not None:
            exact: list[tuple[int, int, frozenset[str] | set[str]]] = [
                (m.start(), m.end(), self._exact.get(m.group(0), set()))
                for m in self._exact_re.finditer(text, start, end)
            ]
            if candidates and exact:
                candidates = _without_overlaps(candidates + exact)
            else:
                candidates = candidates or exact
        return [
            Match(s, e, iri, text[s:e])
            for s, e, found in sorted(candidates, key=lambda c: (c[0], c[1]))
            for iri in sorted(found)
        ]

    def _lookup_folded(self, form: str) -> set[str]:
        if form in self._folded:
            return self._folded[form]
        return self._normalised().get(form, set())

    def _normalised(self) -> dict[str, set[str]]:
        cached = getattr(self, "_norm_cache", None)
        if cached is None:
            cached = {}
            for key, iris in self._folded.items():
                cached.setdefault(re.sub(r"[\s\-]+", " ", key), set()).update(iris)
            self._norm_cache = cached
        return cached
