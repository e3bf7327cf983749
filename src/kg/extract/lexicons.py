"""Compiled lexicons for one reference: matchers built once and reused for every report."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.extract.matcher import Matcher
from kg.extract.numbers import NumberLexicon
from kg.extract.text import fold
from kg.reference.gazetteer import Gazetteer, load_gazetteer
from kg.reference.loader import (
    Concept,
    Reference,
    Term,
    _common_words,
    currency_codes,
    load_reference,
)


@dataclass
class Lexicons:
    reference: Reference
    numbers: NumberLexicon
    sectors: Matcher
    indicators: Matcher
    qualifiers: Matcher
    roles: Matcher
    organisations: Matcher
    cues: dict[str, Matcher]
    place_types: dict[str, int]
    org_words: frozenset[str]
    name_joiners: frozenset[str]
    common_place_names: frozenset[str]
    time_units: frozenset[str]
    place_qualifiers: frozenset[str]
    donor_headings: frozenset[str]
    partner_headings: frozenset[str]
    staff_nouns: frozenset[str]
    common_words: frozenset[str]  # the most frequent words of en/fr/es (data/lexicon)
    government_words: frozenset[str]
    public_body_nouns: frozenset[str]  # folded, as every set of words below
    remit_nouns: frozenset[str]
    remit_prepositions: frozenset[str]
    movement_short_names: frozenset[str]

    _gazetteer: Gazetteer | None = field(default=None, repr=False)

    @property
    def gazetteer(self) -> Gazetteer:
        """The world's places (loaded from the disk cache on first use)."""
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer(self.reference)
        return self._gazetteer


def _terms(concepts: dict[str, Concept]) -> list[Term]:
    return [t for c in concepts.values() for t in c.terms]


def _cue_terms(cues: list[str], kind: str) -> list[Term]:
    return [Term(cue, kind) for cue in cues]


def build_lexicons(reference: Reference) -> Lexicons:
    words = reference.words
    numbers = NumberLexicon(
        words=reference.number_words,
        scales={k: float(v) for k, v in words.get("scale", {}).items()},
        percent=tuple(words.get("percent", {})),
        currency=tuple(words.get("currency", {})),
        months=_with_folded(words.get("month", {})),
        count_nouns=frozenset(words.get("count-noun", {})),
        currency_codes=currency_codes(),
    )
    return Lexicons(
        reference=reference,
        numbers=numbers,
        sectors=Matcher(_terms(reference.sectors)),
        indicators=Matcher(_terms(reference.indicators)),
        qualifiers=Matcher(
            t
            for c in reference.qualifiers.values()
            if not c.iri.endswith("/exact")
            for t in c.terms
        ),
        # every label of a role is a cue, but a bare "partner" or "funder" says too little
        # ("l'ONG", two words joined by an apostrophe, is a cue)
        roles=Matcher(
            t
            for c in reference.roles.values()
            for t in c.terms
            if " " in t.text.strip() or "'" in t.text
        ),
        organisations=Matcher(_terms(reference.organisations)),
        cues={kind: Matcher(_cue_terms(cues, kind)) for kind, cues in reference.cues.items()},
        place_types={k: int(v) for k, v in words.get("place-type", {}).items()},
        org_words=_with_folded(words.get("org-word", {})),
        name_joiners=_with_folded(words.get("name-joiner", {})),
        common_place_names=frozenset(words.get("common-place-name", {})),
        time_units=frozenset(words.get("time-unit", {})),
        place_qualifiers=frozenset(words.get("place-qualifier", {})),
        donor_headings=frozenset(fold(w) for w in words.get("donor-heading", {})),
        partner_headings=frozenset(fold(w) for w in words.get("partner-heading", {})),
        staff_nouns=frozenset(words.get("staff-noun", {})),
        common_words=_common_words(),
        government_words=_with_folded(words.get("government-word", {})),
        public_body_nouns=_folded(words.get("public-body-noun", {})),
        remit_nouns=_folded(words.get("remit-noun", {})),
        remit_prepositions=_folded(words.get("remit-preposition", {})),
        movement_short_names=_folded(words.get("movement-short-name", {})),
    )


def _folded(words: dict[str, str]) -> frozenset[str]:
    """The words without accents and case, as the loaders compare them."""
    return frozenset(fold(w) for w in words)


def _with_folded(words: dict[str, str]) -> frozenset[str]:
    """The words as written and without accents: names are compared in either form."""
    return frozenset(words) | frozenset(fold(w) for w in words)


_BUILT: dict[int, Lexicons] = {}


def default_lexicons() -> Lexicons:
    """Lexicons of the current reference data, compiled once per process."""
    reference = load_reference()
    key = id(reference)
    if key not in _BUILT:
        _BUILT.clear()
        _BUILT[key] = build_lexicons(reference)
    return _BUILT[key]
