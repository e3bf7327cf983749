"""Find the labels of a vocabulary in a text: longest match first, whole words, no overlaps.

Labels are matched in the folded text (case and accents ignored; a space in a label also
matches a hyphen or a line break); acronyms are matched case-sensitively in the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kg.extract.text import fold
from kg.reference import Term


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    iri: str
    text: str


def _pattern(label: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", label.strip()) if p]
    return r"[\s\-]+".join(parts)


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
        self._folded_re = self._compile(folded)
        self._exact_re = self._compile(exact)

    @staticmethod
    def _compile(forms: dict[str, set[str]]) -> re.Pattern[str] | None:
        if not forms:
            return None
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        body = "|".join(_pattern(f) for f in ordered)
        return re.compile(rf"(?<![\w])(?:{body})(?![\w])")

    def iris(self, surface: str, case_sensitive: bool = False) -> set[str]:
        """What a whole surface form means (empty when the lexicon does not know it)."""
        if case_sensitive:
            return set(self._exact.get(surface.strip(), set()))
        return set(self._lookup_folded(re.sub(r"[\s\-]+", " ", fold(surface.strip()))))

    def find(self, text: str, folded: str, start: int = 0, end: int | None = None) -> list[Match]:
        """All non-overlapping matches in text[start:end], longest first, sorted by offset."""
        end = len(text) if end is None else end
        candidates: list[tuple[int, int, frozenset[str]]] = []
        if self._folded_re is not None:
            for m in self._folded_re.finditer(folded, start, end):
                form = re.sub(r"[\s\-]+", " ", m.group(0))
                iris = self._lookup_folded(form)
                candidates.append((m.start(), m.end(), frozenset(iris)))
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text, start, end):
                candidates.append((m.start(), m.end(), frozenset(self._exact.get(m.group(0), ()))))
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken: list[tuple[int, int]] = []
        out: list[Match] = []
        for s, e, found in candidates:
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            for iri in sorted(found):
                out.append(Match(s, e, iri, text[s:e]))
        out.sort(key=lambda m: (m.start, m.end, m.iri))
        return out

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
