"""Extraction throughput on the seed reports, one core: reports per second.

Run: python benchmarks/bench_extract.py [--rounds N]. Prints the median of N rounds over the
seed reports (reading excluded: the texts are in memory; the lexicons are compiled once before
timing, as in `kg build`), by wall clock and by the process's CPU time; on a shared machine
the CPU-time figure is the one-core throughput.
"""

from __future__ import annotations

import argparse
import os
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
    rates, cpu_rates = [], []
    for _ in range(args.rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        for report in reports:
            extract_report(report, lex)
        rates.append(len(reports) / (time.perf_counter() - started))
        cpu_rates.append(len(reports) / (time.process_time() - cpu_started))
    chars = sum(len(r.text) for r in reports)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{len(reports)} reports, {chars} characters, {args.rounds} rounds")
    print(
        f"wall clock: median {statistics.median(rates):.1f} reports/s "
        f"(min {min(rates):.1f}, max {max(rates):.1f})"
    )
    print(
        f"CPU time (one core, insensitive to other load): median "
        f"{statistics.median(cpu_rates):.1f} reports/s (min {min(cpu_rates):.1f}, "
        f"max {max(cpu_rates):.1f})"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
