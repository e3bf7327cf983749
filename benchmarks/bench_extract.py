"""Extraction throughput on the seed reports, one core: reports per second.

Run: python benchmarks/bench_extract.py [--rounds N]. Prints the median of N rounds over the
seed reports (reading excluded: the texts are in memory; the lexicons are compiled once before
timing, as in `kg build`).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from kg.extract import extract_report
from kg.extract.lexicons import default_lexicons
from kg.reports import read_report

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reports", type=Path, default=ROOT / "data" / "reports")
    args = parser.parse_args()
    reports = [read_report(p) for p in sorted(args.reports.glob("*.txt"))]
    lex = default_lexicons()
    for report in reports:  # warm-up: place matchers per country are compiled on first use
        extract_report(report, lex)
    rates = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for report in reports:
            extract_report(report, lex)
        rates.append(len(reports) / (time.perf_counter() - started))
    chars = sum(len(r.text) for r in reports)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{len(reports)} reports, {chars} characters, {args.rounds} rounds")
    print(f"median {statistics.median(rates):.1f} reports/s (min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
