"""Compare an extraction with a careful reader's expected extraction (`*.expected.json`), as data.

Shared by `tests/test_unseen_reports.py` (pass/fail per report) and
`benchmarks/score_extraction.py` (recall and precision per report). The expected files say what a
careful human reader extracts from a report:

    {"publisher": "ACF", "country": "BF",
     "outcomes": [{"value": 12480, "qualifier": "exact", "year": 2023, "counted": "...",
                   "places": ["Sanmatenga"], "unit": "percent" (optional, default count)}],
     "context_figures": [{"value": ..., "qualifier": ..., "year": ...}],
     "partners": [{"name": "APEHS", "role": "implementing-partner"}],
     "places": ["Centre-Nord", "Kaya"],          # every sub-national place the publisher works in
     "not_figures": [2024, 4200000]}              # funding, targets, years, dates, codes

`counted` and the per-figure `places` document the reading; they are not compared.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.extract import extract_report
from kg.model import Extraction, Figure
from kg.reference.loader import Reference, load_reference
from kg.reports import read_report

TOLERANCE = 0.5
EXTRA_OUTCOMES_ALLOWED = 1


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form of a name."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


def load_expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for key in ("outcomes", "context_figures", "partners", "places", "not_figures"):
        data.setdefault(key, [])
    return data


def extract(path: Path) -> tuple[Extraction, str]:
    report = read_report(path)
    return extract_report(report), report.text


def same_value(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= TOLERANCE


def describe(fig: Figure, text: str | None = None) -> str:
    unit = "%" if fig.unit == "percent" else ""
    where = f"line {line_of(text, fig.start)}, " if text is not None else ""
    return (
        f"{fig.kind} {fig.value:g}{unit} {fig.qualifier} year={fig.year} ({fig.year_source}) "
        f"at {where}{fig.start}-{fig.end} {fig.quote!r}"
    )


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# ---------------------------------------------------------------- figures


@dataclass
class FigureMatch:
    expected: dict[str, Any]
    kind: str  # "outcome" | "context"
    found: Figure | None = None  # the extracted figure paired with it (same value), if any
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found is not None and not self.problems


def _fits(exp: dict[str, Any], fig: Figure) -> list[str]:
    """What differs between an expected figure and an extracted one of the same value."""
    out = []
    if fig.qualifier != exp["qualifier"]:
        out.append(f"qualifier {fig.qualifier!r}, expected {exp['qualifier']!r}")
    if fig.year != exp["year"]:
        out.append(f"year {fig.year} ({fig.year_source}), expected {exp['year']}")
    unit = exp.get("unit", "count")
    if fig.unit != unit:
        out.append(f"unit {fig.unit!r}, expected {unit!r}")
    return out


def match_figures(
    expected: list[dict[str, Any]], kind: str, extracted: list[Figure]
) -> tuple[list[FigureMatch], list[Figure]]:
    """Pair expected figures one-to-one with extracted figures of the same value.

    Among extracted figures of the right value the one with the fewest differences
    (qualifier, year, unit) wins; figures with no expected counterpart are returned as extras.
    """
    free = list(extracted)
    # exact fits first, so a near miss does not steal the figure a perfect match needs
    order = sorted(
        range(len(expected)),
        key=lambda i: min(
            (len(_fits(expected[i], f)) for f in free if same_value(f.value, expected[i]["value"])),
            default=99,
        ),
    )
    by_index: dict[int, FigureMatch] = {}
    for i in order:
        exp = expected[i]
        candidates = [f for f in free if same_value(f.value, exp["value"])]
        m = FigureMatch(exp, kind)
        if candidates:
            best = min(candidates, key=lambda f: len(_fits(exp, f)))
            free.remove(best)
            m.found = best
            m.problems = _fits(exp, best)
        by_index[i] = m
    matches = [by_index[i] for i in range(len(expected))]
    return matches, free


def explain_missing(exp: dict[str, Any], kind: str, extraction: Extraction, text: str) -> str:
    """Why an expected figure is not among the extracted figures of its kind."""
    other = extraction.context_figures if kind == "outcome" else extraction.outcomes
    for fig in other:
        if same_value(fig.value, exp["value"]):
            return f"reported as {describe(fig, text)}"
    for u in extraction.unclassified:
        if u.value is not None and same_value(u.value, exp["value"]):
            where = f"line {line_of(text, u.start)}, {u.start}-{u.end}"
            return f"unclassified at {where} {u.text!r}: {u.reason}"
    return "not found at all (no figure or unclassified number with that value)"


# ---------------------------------------------------------------- partners, places, publisher


def org_names(reference: Reference, label: str, iri: str, acronym: str | None) -> list[str]:
    names = [label]
    if acronym:
        names.append(acronym)
    concept = reference.organisations.get(iri)
    if concept is not None:
        names += [concept.label, *concept.acronyms, *(t.text for t in concept.terms)]
    return [fold(n) for n in names if n]


def partner_names(reference: Reference, partner: Any) -> list[str]:
    return org_names(reference, partner.label, partner.iri, partner.acronym)


def find_partner(
    reference: Reference, exp: dict[str, Any], extraction: Extraction
) -> tuple[bool, str]:
    """(found with the right role, diagnostic)."""
    want = fold(exp["name"])
    named = [p for p in extraction.partners if any(want in n for n in partner_names(reference, p))]
    if any(p.role == exp["role"] for p in named):
        return True, ""
    if named:
        roles = sorted({p.role for p in named})
        return False, f"found with role {roles}, expected {exp['role']!r}"
    return False, "not found among partners"


def place_names(reference: Reference, label: str, iri: str) -> set[str]:
    names = {fold(label)}
    concept = reference.places.get(iri)
    if concept is not None:
        names.add(fold(concept.label))
        names |= {fold(t.text) for t in concept.terms}
    return names


def known_place(reference: Reference, name: str, country: str) -> list[str]:
    """Gazetteer places of the country (below country level) that bear this name."""
    want = fold(name)
    out = []
    for iri, concept in reference.places.items():
        if concept.level == 0 or (concept.country or "").upper() != country.upper():
            continue
        if want == fold(concept.label) or any(want == fold(t.text) for t in concept.terms):
            out.append(iri)
    return out


def find_place(
    reference: Reference, name: str, country: str, extraction: Extraction
) -> tuple[bool, str]:
    """A gazetteer place must be among the extracted places; an unknown one in `unclassified`."""
    want = fold(name)
    for ref in extraction.places:
        if want in place_names(reference, ref.label, ref.iri) | {fold(n) for n in ref.names}:
            return True, ""
    known = known_place(reference, name, country)
    if known:
        codes = ", ".join(i.rsplit("/", 1)[-1] for i in known)
        return False, f"in the gazetteer ({codes}) but not extracted"
    for u in extraction.unclassified:
        if u.value is None and want in fold(u.text):
            return True, ""
    return False, "not in the gazetteer, and not reported in `unclassified` as an unknown place"


def extra_places(reference: Reference, expected: list[str], extraction: Extraction) -> list[str]:
    want = {fold(n) for n in expected}
    return [
        ref.label
        for ref in extraction.places
        if not (want & (place_names(reference, ref.label, ref.iri) | {fold(n) for n in ref.names}))
    ]


# ---------------------------------------------------------------- one report


@dataclass
class ReportCheck:
    name: str
    extraction: Extraction
    text: str
    outcomes: list[FigureMatch]
    context: list[FigureMatch]
    extra_outcomes: list[Figure]
    extra_context: list[Figure]
    partners: list[tuple[dict[str, Any], bool, str]]
    places: list[tuple[str, bool, str]]
    not_figures: list[tuple[float, Figure]]
    bad_quotes: list[str]
    publisher_problem: str | None
    country_problem: str | None

    def problems(self) -> list[str]:
        """Every way the extraction falls short of the careful reading, one line each."""
        out = []
        if self.publisher_problem:
            out.append(self.publisher_problem)
        if self.country_problem:
            out.append(self.country_problem)
        for m in self.outcomes + self.context:
            exp = m.expected
            head = f"{m.kind} {exp['value']:g} ({exp.get('counted', '')})"
            if m.found is None:
                out.append(
                    f"MISSING {head}: {explain_missing(exp, m.kind, self.extraction, self.text)}"
                )
            elif m.problems:
                out.append(
                    f"WRONG {head} at line {line_of(self.text, m.found.start)}: "
                    + "; ".join(m.problems)
                )
        if len(self.extra_outcomes) > EXTRA_OUTCOMES_ALLOWED:
            for fig in self.extra_outcomes:
                out.append(f"EXTRA outcome not in the careful reading: {describe(fig, self.text)}")
        for value, fig in self.not_figures:
            out.append(f"NOT A FIGURE {value:g} reported as {describe(fig, self.text)}")
        for exp, ok, why in self.partners:
            if not ok:
                out.append(f"PARTNER {exp['name']!r} ({exp['role']}): {why}")
        for name, ok, why in self.places:
            if not ok:
                out.append(f"PLACE {name!r}: {why}")
        out += self.bad_quotes
        return out


def check_report(
    path: Path, expected_path: Path, reference: Reference | None = None
) -> ReportCheck:
    reference = reference or load_reference()
    exp = load_expected(expected_path)
    extraction, text = extract(path)
    outcomes, extra_out = match_figures(exp["outcomes"], "outcome", extraction.outcomes)
    context, extra_ctx = match_figures(
        exp["context_figures"], "context", extraction.context_figures
    )
    not_figs = [
        (v, f) for v in exp["not_figures"] for f in extraction.figures() if same_value(f.value, v)
    ]
    bad = []
    for fig in extraction.figures():
        if text[fig.start : fig.end] != fig.quote:
            bad.append(
                f"QUOTE {fig.quote!r} != text[{fig.start}:{fig.end}] {text[fig.start : fig.end]!r}"
            )
    for partner in extraction.partners:
        if text[partner.start : partner.end] != partner.quote:
            bad.append(
                f"QUOTE partner {partner.quote!r} != text[{partner.start}:{partner.end}]"
                f" {text[partner.start : partner.end]!r}"
            )
    country = exp.get("country")
    partners = [(p, *find_partner(reference, p, extraction)) for p in exp["partners"]]
    places = [(n, *find_place(reference, n, country or "", extraction)) for n in exp["places"]]
    publisher_problem = None
    if exp.get("publisher"):
        pub = extraction.publisher
        want = fold(exp["publisher"])
        if pub is None:
            publisher_problem = f"PUBLISHER {exp['publisher']!r}: none found"
        elif not any(
            want == n or want in n for n in org_names(reference, pub.label, pub.iri, None)
        ):
            publisher_problem = f"PUBLISHER {exp['publisher']!r}: got {pub.label!r} <{pub.iri}>"
    country_problem = None
    if country:
        got = extraction.country.iri.rsplit("/", 1)[-1].upper() if extraction.country else None
        if got != country.upper():
            country_problem = f"COUNTRY expected {country}, got {got}"
    return ReportCheck(
        name=path.stem,
        extraction=extraction,
        text=text,
        outcomes=outcomes,
        context=context,
        extra_outcomes=extra_out,
        extra_context=extra_ctx,
        partners=partners,
        places=places,
        not_figures=not_figs,
        bad_quotes=bad,
        publisher_problem=publisher_problem,
        country_problem=country_problem,
    )
