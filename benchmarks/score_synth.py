"""Score extraction on a synthetic corpus against the facts it planted (`kg synth`).

    kg synth --reports 1000 --seed 1 --out build/synth-1000
    /work/venv/bin/python benchmarks/score_synth.py build/synth-1000 [--jobs 2] [--details 20]

For every report of `planted.jsonl` the report is read and extracted as `kg build` does, and:
- figure recall: planted figures found with the right value, kind (outcome | context) and
  year (one-to-one); figure precision: extracted figures that are planted ones (same test);
- value recall: planted figures found with the right value, whatever kind and year;
- qualifier and indicator: of the recalled figures, how many carry the planted qualifier and
  the indicator whose label was written;
- place recall: planted places among the report's extracted places;
- partner recall: planted partners found (by IRI when the reference data knows them, else by
  acronym or name) with the planted role.
Prints one table (and `--json FILE` writes it), with extraction throughput (reports/s/core:
CPU time of extraction alone, reading excluded). `--details N` lists the first N misses.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kg.extract import extract_report
from kg.extract.lexicons import default_lexicons
from kg.model import Extraction, Figure
from kg.reports import read_report
from kg.tools.synth import PlantedFigure, PlantedReport, read_planted


@dataclass
class Score:
    reports: int = 0
    planted: int = 0
    extracted: int = 0
    matched: int = 0
    value_matched: int = 0
    qualifier_ok: int = 0
    indicator_ok: int = 0
    places: int = 0
    places_ok: int = 0
    partners: int = 0
    partners_ok: int = 0
    seconds: float = 0.0  # CPU seconds of extraction
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for key, value in vars(other).items():
            if key == "misses":
                self.misses.extend(value)
            else:
                setattr(self, key, getattr(self, key) + value)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def score_report(root: Path, planted: PlantedReport) -> Score:
    lex = default_lexicons()
    report = read_report(root / planted.file)
    started = time.process_time()
    ex = extract_report(report, lex)
    s = Score(reports=1, seconds=time.process_time() - started)
    figures = ex.figures()
    s.planted, s.extracted = len(planted.figures), len(figures)
    free = list(figures)
    for p in planted.figures:
        hit = _take(free, p, strict=True)
        if hit is not None:
            s.matched += 1
            s.qualifier_ok += hit.qualifier == p.qualifier
            s.indicator_ok += hit.indicator is not None and hit.indicator.iri == p.indicator
        else:
            s.misses.append(_describe_miss(planted, p, figures))
    s.value_matched = sum(
        1 for p in planted.figures if any(_same(f.value, p.value) for f in figures)
    )
    places = {p.iri for p in ex.places} | {pr.place.iri for pr in ex.presences}
    s.places, s.places_ok = len(planted.places), sum(1 for iri in planted.places if iri in places)
    s.partners = len(planted.partners)
    s.partners_ok = sum(1 for p in planted.partners if _partner_found(ex, p))
    for p in planted.partners:
        if not _partner_found(ex, p):
            got = ", ".join(f"{x.label} [{x.acronym}] {x.role}" for x in ex.partners) or "none"
            s.misses.append(f"{planted.file}: partner {p.label} ({p.acronym}, {p.role}); got {got}")
    return s


def _take(free: list[Figure], p: PlantedFigure, strict: bool) -> Figure | None:
    for f in free:
        if _same(f.value, p.value) and (not strict or (f.kind == p.kind and f.year == p.year)):
            free.remove(f)
            return f
    return None


def _describe_miss(planted: PlantedReport, p: PlantedFigure, figures: list[Figure]) -> str:
    same_value = [f for f in figures if _same(f.value, p.value)]
    got = (
        "; ".join(f"{f.kind} {f.year} {f.qualifier} {f.quote!r}" for f in same_value)
        or "no figure with that value"
    )
    return f"{planted.file}: {p.kind} {p.text!r} ({p.year}, {p.qualifier}); got {got}"


def _partner_found(ex: Extraction, p: object) -> bool:
    for x in ex.partners:
        if x.role != p.role:  # type: ignore[attr-defined]
            continue
        if p.iri is not None and x.iri == p.iri:  # type: ignore[attr-defined]
            return True
        if p.iri is None and (  # type: ignore[attr-defined]
            (p.acronym and x.acronym == p.acronym)  # type: ignore[attr-defined]
            or x.label.lower() == p.label.lower()  # type: ignore[attr-defined]
        ):
            return True
    return False


def _score_chunk(args: tuple[str, list[PlantedReport]]) -> Score:
    root, chunk = args
    total = Score()
    for planted in chunk:
        total.add(score_report(Path(root), planted))
    return total


def score_corpus(root: Path, jobs: int = 1, limit: int | None = None) -> Score:
    planted = read_planted(root / "planted.jsonl")[:limit]
    default_lexicons()  # compiled before timing, in this process and (forked) in the workers
    if jobs <= 1:
        return _score_chunk((str(root), planted))
    size = max(1, len(planted) // (jobs * 8))
    chunks = [(str(root), planted[i : i + size]) for i in range(0, len(planted), size)]
    total = Score()
    with ProcessPoolExecutor(jobs) as pool:
        for part in pool.map(_score_chunk, chunks):
            total.add(part)
    return total


def pct(num: int, den: int) -> float:
    return round(100 * num / den, 1) if den else 0.0


def summary(s: Score) -> dict[str, object]:
    return {
        "reports": s.reports,
        "planted_figures": s.planted,
        "extracted_figures": s.extracted,
        "figure_recall_pct": pct(s.matched, s.planted),
        "figure_precision_pct": pct(s.matched, s.extracted),
        "value_recall_pct": pct(s.value_matched, s.planted),
        "qualifier_ok_pct": pct(s.qualifier_ok, s.matched),
        "indicator_ok_pct": pct(s.indicator_ok, s.matched),
        "place_recall_pct": pct(s.places_ok, s.places),
        "partner_recall_pct": pct(s.partners_ok, s.partners),
        "extract_reports_per_cpu_second": round(s.reports / s.seconds, 1) if s.seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, help="a directory written by `kg synth`")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N reports")
    parser.add_argument("--details", type=int, default=0, help="list the first N misses")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    score = score_corpus(args.corpus, args.jobs, args.limit)
    result = summary(score)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    for key, value in result.items():
        print(f"{key:32s} {value}")
    for miss in score.misses[: args.details]:
        print("  miss:", miss)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Score", "score_corpus", "score_report", "summary"]
_ = asdict  # (kept for callers that serialise a Score)
