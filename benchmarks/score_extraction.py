"""Score the extractor against careful readings.

    python benchmarks/score_extraction.py [--details] [--given] [--set NAME]...

NAME: seed, unseen, heldout (expected.json readings), real-tune, real-frozen, real-tune2,
real-frozen2, real-frozen3, real-frozen4, real-frozen5, real-frozen6, real-frozen7,
real-frozen8 (the blind sets).

The blind evaluation set of real pages (`tests/fixtures/real/tune` and `…/frozen`, see the
README there) is scored kind by kind with F1 and one-to-one matching (`blind_scoring.py`),
extracting each page as a user would: no sidecar, publisher and country found in the text
(`--given` passes the reading's publisher and country instead). The frozen parts are scored once,
at the end of a piece of work, never while tuning. `tune2`/`frozen2` are a second set collected
the same way later, after the loaders had been tuned on the first.

Readings: `tests/fixtures/seed-expected/<seed>.expected.json` for the seed reports in
`data/reports/`, `tests/fixtures/reports/<name>.expected.json` for the unseen fixtures, and
`tests/fixtures/heldout/<name>.expected.json` for the held-out set (never in the pytest suite,
never tuned on; scored only when asked with `--set heldout`). Without `--set`: seed and unseen.

Per report and overall (micro-averaged over all figures):
- figure recall: expected outcomes + context figures found with the right value and year
  (whatever kind the extractor gave them);
- figure precision: extracted outcomes + context figures that are in the expected lists with the
  right value, kind and year (one-to-one);
- qualifier: of the recalled figures, how many carry the expected qualifier;
- partner recall: expected partners found by name with the expected role;
- place recall: expected work places found (gazetteer places among the extracted places, unknown
  ones in `unclassified`); place precision: extracted places that are expected work places.
`--details` lists every miss and every wrong figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from extraction_expectations import (  # noqa: E402
    check_report,
    describe,
    extra_places,
    load_expected,
    same_value,
)
from kg.reference.loader import Reference, load_reference  # noqa: E402

REAL = ROOT / "tests" / "fixtures" / "real"
REAL_SETS = {
    "real-tune": REAL / "tune",
    "real-frozen": REAL / "frozen",
    "real-tune2": REAL / "tune2",
    "real-frozen2": REAL / "frozen2",
    "real-frozen3": REAL / "frozen3",
    "real-frozen4": REAL / "frozen4",
    "real-frozen5": REAL / "frozen5",
    "real-frozen6": REAL / "frozen6",
    "real-frozen7": REAL / "frozen7",
    "real-frozen8": REAL / "frozen8",
}
SETS = [
    ("seed", ROOT / "data" / "reports", ROOT / "tests" / "fixtures" / "seed-expected"),
    ("unseen", ROOT / "tests" / "fixtures" / "reports", ROOT / "tests" / "fixtures" / "reports"),
    ("heldout", ROOT / "tests" / "fixtures" / "heldout", ROOT / "tests" / "fixtures" / "heldout"),
]
DEFAULT_SETS = ["seed", "unseen"]


@dataclass
class Score:
    expected: int = 0
    recalled: int = 0
    qualifier_ok: int = 0
    extracted: int = 0
    correct: int = 0
    partners: int = 0
    partners_ok: int = 0
    places: int = 0
    places_ok: int = 0
    places_extracted: int = 0
    places_extracted_ok: int = 0

    def add(self, other: Score) -> None:
        for key in vars(self):
            setattr(self, key, getattr(self, key) + getattr(other, key))


def pct(num: int, den: int) -> str:
    return "   -  " if den == 0 else f"{100 * num / den:5.1f}%"


def score_one(txt: Path, expected_path: Path, reference: Reference, details: bool) -> Score:
    check = check_report(txt, expected_path, reference)
    exp = load_expected(expected_path)
    ex = check.extraction
    s = Score()
    notes: list[str] = []

    # recall: value and year, any kind (one-to-one over all extracted figures)
    pool = list(ex.figures())
    for kind, items in (("outcome", exp["outcomes"]), ("context", exp["context_figures"])):
        for e in items:
            s.expected += 1
            hit = next(
                (
                    f
                    for f in pool
                    if same_value(f.value, e["value"]) and f.year == e["year"] and f.kind == kind
                ),
                None,
            ) or next(
                (f for f in pool if same_value(f.value, e["value"]) and f.year == e["year"]), None
            )
            if hit is None:
                near = [
                    describe(f, check.text) for f in ex.figures() if same_value(f.value, e["value"])
                ]
                notes.append(
                    f"    miss   {kind} {e['value']:g} year={e['year']} ({e.get('counted', '')})"
                    + (f" -> got {near[0]}" if near else "")
                )
                continue
            pool.remove(hit)
            s.recalled += 1
            if hit.qualifier == e["qualifier"]:
                s.qualifier_ok += 1
            else:
                want = e["qualifier"]
                notes.append(
                    f"    qual   {kind} {e['value']:g}: {hit.qualifier!r}, expected {want!r}"
                )

    # precision: value, kind and year
    for matches, extracted in ((check.outcomes, ex.outcomes), (check.context, ex.context_figures)):
        s.extracted += len(extracted)
        for m in matches:
            if m.found is not None and m.found.year == m.expected["year"]:
                s.correct += 1
        for m in matches:
            if m.found is not None and m.found.year != m.expected["year"]:
                want = m.expected["year"]
                notes.append(f"    wrong  {describe(m.found, check.text)}: expected year {want}")
    for fig in check.extra_outcomes + check.extra_context:
        notes.append(f"    extra  {describe(fig, check.text)}")

    s.partners = len(check.partners)
    s.partners_ok = sum(ok for _, ok, _ in check.partners)
    for p, ok, why in check.partners:
        if not ok:
            notes.append(f"    partner {p['name']!r} ({p['role']}): {why}")
    s.places = len(check.places)
    s.places_ok = sum(ok for _, ok, _ in check.places)
    for name, ok, why in check.places:
        if not ok:
            notes.append(f"    place  {name!r}: {why}")
    extra = extra_places(reference, exp["places"], ex)
    s.places_extracted = len(ex.places)
    s.places_extracted_ok = len(ex.places) - len(extra)
    for name in extra:
        notes.append(f"    place+ {name!r} extracted but not a work place in the reading")

    print(
        f"  {txt.stem:34s} {s.recalled:3d}/{s.expected:<3d} {pct(s.recalled, s.expected)}"
        f"  {s.correct:3d}/{s.extracted:<3d} {pct(s.correct, s.extracted)}"
        f"  {pct(s.qualifier_ok, s.recalled)}"
        f"  {s.partners_ok:2d}/{s.partners:<2d} {pct(s.partners_ok, s.partners)}"
        f"  {s.places_ok:2d}/{s.places:<2d} {pct(s.places_ok, s.places)}"
        f"  {pct(s.places_extracted_ok, s.places_extracted)}"
    )
    if details:
        for line in notes:
            print(line)
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every miss and wrong figure")
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=[name for name, _, _ in SETS] + sorted(REAL_SETS),
        help="score this set (repeatable); default: " + " and ".join(DEFAULT_SETS),
    )
    parser.add_argument(
        "--given",
        action="store_true",
        help="real sets: pass the reading's publisher and country, as a sidecar would",
    )
    args = parser.parse_args(argv)
    chosen = args.sets or DEFAULT_SETS
    reference = load_reference()
    real = [name for name in chosen if name in REAL_SETS]
    if real:
        score_real(real, reference, args.details, args.given)
        chosen = [name for name in chosen if name not in REAL_SETS]
        if not chosen:
            return 0
    header = (
        f"  {'report':34s} {'fig recall':>13s}  {'fig precision':>13s}  {'qual':>6s}"
        f"  {'partners':>12s}  {'places':>12s}  {'pl.prec':>6s}"
    )
    total = Score()
    for set_name, reports_dir, expected_dir in SETS:
        if set_name not in chosen:
            continue
        print(f"{set_name} reports")
        print(header)
        subtotal = Score()
        for expected_path in sorted(expected_dir.glob("*.expected.json")):
            stem = expected_path.name[: -len(".expected.json")]
            txt = reports_dir / f"{stem}.txt"
            if not txt.exists():
                print(f"  {stem}: no report {txt}", file=sys.stderr)
                continue
            subtotal.add(score_one(txt, expected_path, reference, args.details))
        _summary(f"{set_name} overall", subtotal)
        total.add(subtotal)
        print()
    _summary("ALL overall", total)
    return 0


def score_real(names: list[str], reference: Reference, details: bool, given: bool) -> None:
    from blind_scoring import KINDS, Tally, fmt, score_report

    from kg.extract import extract_text

    def other_names(iri: str) -> list[str]:
        concept = reference.concept(iri)
        if concept is None:
            return []
        return [concept.label, *concept.acronyms, *(t.text for t in concept.terms)]

    shown = ("outcomes", "outcome values", "context", "places", "partners", "sectors", "publisher")
    for set_name in names:
        folder = REAL_SETS[set_name]
        print(f"{set_name}: F1 per kind (one-to-one; outcomes/context: value + year)")
        print(f"  {'report':44s} " + " ".join(f"{k[:8]:>8s}" for k in shown))
        total = {k: Tally() for k in KINDS}
        for gold_path in sorted(folder.glob("*.gold.json")):
            stem = gold_path.name[: -len(".gold.json")]
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            text = (folder / f"{stem}.txt").read_text(encoding="utf-8")
            meta = {"publisher": gold["publisher"], "country": gold["country"]} if given else {}
            extracted = extract_text(text, stem, **meta).to_json()
            report = score_report(stem, gold, extracted, other_names)
            for kind in KINDS:
                total[kind].add(report.tallies[kind])
            print(
                f"  {stem[:44]:44s} " + " ".join(f"{fmt(report.tallies[k].f1):>8s}" for k in shown)
            )
            if details:
                for line in report.notes:
                    print(line)
        print(
            f"  {set_name + ' overall (micro)':44s} "
            + " ".join(f"{fmt(total[k].f1):>8s}" for k in shown)
        )
        for kind in KINDS:
            tally = total[kind]
            print(
                f"    {kind:16s} F1 {fmt(tally.f1)}  precision {fmt(tally.precision)}"
                f" ({tally.tp}/{tally.predicted})  recall {fmt(tally.recall)}"
                f" ({tally.tp}/{tally.gold})"
            )
        print()


def _summary(name: str, s: Score) -> None:
    print(
        f"  {name:34s} {s.recalled:3d}/{s.expected:<3d} {pct(s.recalled, s.expected)}"
        f"  {s.correct:3d}/{s.extracted:<3d} {pct(s.correct, s.extracted)}"
        f"  {pct(s.qualifier_ok, s.recalled)}"
        f"  {s.partners_ok:2d}/{s.partners:<2d} {pct(s.partners_ok, s.partners)}"
        f"  {s.places_ok:2d}/{s.places:<2d} {pct(s.places_ok, s.places)}"
        f"  {pct(s.places_extracted_ok, s.places_extracted)}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
