"""F1 of an extraction against a careful reading, kind by kind, with one-to-one matching.

Used by `benchmarks/score_extraction.py --set real-tune|real-frozen` on the blind evaluation set
(`tests/fixtures/real/`, format in its README). Scoring reads only the public JSON of
`kg extract --format json` (plus the reference vocabularies' other names of a thing), so it
measures what a user of the JSON gets:

- outcomes: value and year (strict: a null year matches only a null year), and value alone;
- context figures: the same;
- percentages are left out of both (unit "percent" on either side);
- places: the publisher's work places (`places`), by name;
- partners: by name (any of the organisation's names or acronyms), and the role of those matched;
- sectors: by label;
- publisher: right when one of its names is the reading's publisher (or its acronym).

Names are compared exactly after folding case and accents and dropping punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

TOLERANCE = 0.5


def norm(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@dataclass
class Tally:
    """True positives, predictions and gold items of one kind."""

    tp: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.gold += other.gold

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        if not self.predicted and not self.gold:
            return None
        return 2 * self.tp / (self.predicted + self.gold)


KINDS = (
    "outcomes",
    "outcome values",
    "context",
    "context values",
    "places",
    "partners",
    "partner roles",
    "sectors",
    "publisher",
)


@dataclass
class ReportScore:
    name: str
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    notes: list[str] = field(default_factory=list)


def one_to_one(
    gold: list[Any], predicted: list[Any], same: Callable[[Any, Any], bool]
) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index), each item used once: a maximum bipartite matching
    (augmenting paths), so the order of the lists never changes the count."""
    edges = [[j for j, p in enumerate(predicted) if same(g, p)] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    return sorted((i, j) for j, i in owner.items())


def _same_value(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= TOLERANCE


def _counts(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in items if f.get("unit", "count") != "percent"]


def score_figures(
    gold: list[dict[str, Any]], predicted: list[dict[str, Any]], with_year: bool
) -> tuple[Tally, list[tuple[int, int]]]:
    g, p = _counts(gold), _counts(predicted)

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return _same_value(a["value"], b["value"]) and (not with_year or a["year"] == b["year"])

    pairs = one_to_one(g, p, same)
    return Tally(len(pairs), len(p), len(g)), pairs


def score_names(gold: list[str], predicted: list[set[str]]) -> tuple[Tally, list[tuple[int, int]]]:
    """Gold names against predicted things, each with the set of its normalised names."""
    wanted = [norm(n) for n in dict.fromkeys(gold)]
    pairs = one_to_one(wanted, predicted, lambda g, names: g in names)
    return Tally(len(pairs), len(predicted), len(wanted)), pairs


def score_report(
    name: str,
    gold: dict[str, Any],
    extracted: dict[str, Any],
    other_names: Callable[[str], list[str]],
) -> ReportScore:
    """`extracted` is `Extraction.to_json()`; `other_names(iri)`: the reference's names of it."""
    score = ReportScore(name)
    t = score.tallies
    for kind, key, pred_key in (
        ("outcomes", "outcomes", "outcomes"),
        ("context", "context_figures", "context_figures"),
    ):
        gold_figs = gold.get(key, [])
        pred_figs = extracted.get(pred_key, [])
        t[kind], pairs = score_figures(gold_figs, pred_figs, with_year=True)
        t["outcome values" if kind == "outcomes" else "context values"], _ = score_figures(
            gold_figs, pred_figs, with_year=False
        )
        matched_gold = {i for i, _ in pairs}
        matched_pred = {j for _, j in pairs}
        g, p = _counts(gold_figs), _counts(pred_figs)
        for i, fig in enumerate(g):
            if i not in matched_gold:
                near = [f for f in p if _same_value(f["value"], fig["value"])]
                got = (
                    f" -> got year={near[0]['year']} ({near[0].get('year_source')})" if near else ""
                )
                score.notes.append(
                    f"    miss   {kind[:7]} {fig['value']:g} year={fig['year']} "
                    f"({fig.get('counted', '')}){got}"
                )
        for j, fig in enumerate(p):
            if j not in matched_pred:
                score.notes.append(
                    f"    extra  {kind[:7]} {fig['value']:g} year={fig['year']} "
                    f"({fig.get('year_source')}) {fig.get('quote', '')[:70]!r}"
                )

    places = extracted.get("places", [])
    place_names = [
        {norm(n) for n in [p["label"], *p.get("names", []), *other_names(p["iri"])]} for p in places
    ]
    t["places"], pairs = score_names(gold.get("places", []), place_names)
    _name_notes(score, "place", gold.get("places", []), [p["label"] for p in places], pairs)

    partners = extracted.get("partners", [])
    partner_names = [
        {
            norm(n)
            for n in [p["label"], p.get("acronym") or "", *p.get("names", [])]
            + other_names(p["iri"])
            if n
        }
        for p in partners
    ]
    gold_partners = gold.get("partners", [])
    t["partners"], pairs = score_names([g["name"] for g in gold_partners], partner_names)
    wanted = list(dict.fromkeys(g["name"] for g in gold_partners))
    roles = {g["name"]: g["role"] for g in gold_partners}
    right = sum(1 for i, j in pairs if partners[j]["role"] == roles[wanted[i]])
    t["partner roles"] = Tally(right, len(pairs), len(pairs))
    _name_notes(
        score,
        "partner",
        wanted,
        [f"{p['label']} ({p['role']})" for p in partners],
        pairs,
    )

    sectors = extracted.get("sectors", [])
    t["sectors"], pairs = score_names(
        gold.get("sectors", []),
        [{norm(n) for n in [s["label"], *other_names(s["iri"])]} for s in sectors],
    )
    _name_notes(score, "sector", gold.get("sectors", []), [s["label"] for s in sectors], pairs)

    publisher = extracted.get("publisher")
    wanted_pub = {
        norm(v)
        for n in (gold.get("publisher"), gold.get("publisher_acronym"))
        if n
        for v in name_variants(n)
    }
    if wanted_pub:
        names: set[str] = set()
        if publisher:
            names = {norm(n) for n in [publisher["label"], *other_names(publisher["iri"])]}
        ok = bool(names & wanted_pub)
        t["publisher"] = Tally(int(ok), 1, 1)
        if not ok:
            got = publisher["label"] if publisher else None
            score.notes.append(f"    publisher {gold.get('publisher')!r}: got {got!r}")
    return score


def _name_notes(
    score: ReportScore,
    kind: str,
    gold: list[str],
    predicted: list[str],
    pairs: list[tuple[int, int]],
) -> None:
    wanted = list(dict.fromkeys(gold))
    got_gold = {i for i, _ in pairs}
    got_pred = {j for _, j in pairs}
    for i, name in enumerate(wanted):
        if i not in got_gold:
            score.notes.append(f"    miss   {kind} {name!r}")
    for j, name in enumerate(predicted):
        if j not in got_pred:
            score.notes.append(f"    extra  {kind} {name!r}")


def name_variants(name: str) -> list[str]:
    """A reading's name and, for "Türk Kızılay (Turkish Red Crescent)", each of its two parts."""
    out = [name]
    m = re.fullmatch(r"\s*(.+?)\s*\(([^()]+)\)\s*", name)
    if m:
        out += [m.group(1), m.group(2)]
    return out


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"
