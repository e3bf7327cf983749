"""How `kg validate` scales: the seed store, and synthetic stores 10x and 100x larger.

    python benchmarks/bench_validate.py [--store build/store] [--scales 1,10,100] [--workers 2]
        [--whole-up-to 100] [--alone-up-to 10]

The synthetic stores are made in memory, not written anywhere: every report graph of the store
is copied N times with its report-local IRIs renamed (`id:outcome/msf-mali-2023/…` becomes
`id:outcome/msf-mali-2023-c7/…`, and so on for the report, spans, selectors, presences and
partnerships), so 100x means 100 times as many report graphs and triples, each as big as a
real one.

Two ways to validate are measured:
- per report (what `kg validate` does on a store): each report graph on its own with the small
  context its nodes need, only its own nodes as focus nodes, spread over `--workers` processes
  (`kg.validate.run.validate_report_graphs`), either strictly one graph per pySHACL run
  (batch 1) or 20 graphs per run (the default); plus the reference data validated once;
- whole (the naive way): every report graph merged with the whole ontology and reference data
  into one graph, validated in one pySHACL run; only up to `--whole-up-to` (it grows fast).

Wall time, CPU time of this process and its workers, and peak resident memory (of this
process, and of the largest worker) are printed as a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rdflib import Graph, URIRef

from kg.namespaces import ID
from kg.store import open_store
from kg.validate.engine import repository_graphs, store_data_graphs, validate_graph
from kg.validate.run import BATCH, validate_report_graphs

LOCAL_KINDS = ("report", "outcome", "context", "span", "presence", "partnership")
ROOT = Path(__file__).resolve().parent.parent


def build_seed_store(directory: Path) -> Path:
    from kg.build.run import build

    path = directory / "store"
    result = build([ROOT / "data" / "reports"], path)
    if not result.ok:
        sys.exit(f"building the seed store failed: {result.failed or result.violations}")
    return path


def renamer(report_id: str, copy: int) -> Callable[[object], object]:
    prefixes = [str(ID[f"{kind}/{report_id}"]) for kind in LOCAL_KINDS]
    graph_prefix = str(ID[f"graph/report/{report_id}"])

    def rename(node: object) -> object:
        if isinstance(node, URIRef):
            text = str(node)
            for prefix in (*prefixes, graph_prefix):
                if text == prefix or text.startswith(prefix + "/") or text.startswith(prefix + "#"):
                    return URIRef(prefix + f"-c{copy}" + text[len(prefix) :])
        return node

    return rename


def scaled(graphs: dict[str, Graph], factor: int) -> Iterator[tuple[str, Graph]]:
    """Every graph `factor` times (copy 0 is the original), report-local IRIs renamed."""
    for name, graph in graphs.items():
        report_id = name.rsplit("/", 1)[-1]
        for copy in range(factor):
            if copy == 0:
                yield name, graph
                continue
            rename = renamer(report_id, copy)
            out = Graph()
            out.addN((rename(s), rename(p), rename(o), out) for s, p, o in graph)  # type: ignore[misc]
            yield f"{name}-c{copy}", out


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build the seeds)")
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--whole-up-to", type=int, default=100)
    parser.add_argument(
        "--alone-up-to",
        type=int,
        default=10,
        help="largest scale to also run with batch 1 (each graph alone)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-bench-validate-") as tmp:
        store = args.store or build_seed_store(Path(tmp))
        seed = store_data_graphs(open_store(store))
    seed_triples = sum(len(g) for g in seed.values())
    ontology, reference = repository_graphs()
    context = ontology + reference
    print(
        f"seed: {len(seed)} report graphs, {seed_triples} triples; context {len(context)} "
        f"triples; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )

    started, before = time.perf_counter(), cpu()
    reference_report = validate_graph(context, context=Graph())
    print(
        f"reference data once: {time.perf_counter() - started:.1f} s wall, "
        f"{cpu() - before:.1f} s CPU, conforms={reference_report.conforms}"
    )

    rows = []
    for factor in (int(x) for x in args.scales.split(",")):
        graphs = dict(scaled(seed, factor))
        triples = sum(len(g) for g in graphs.values())
        runs = [(1, 1), (1, BATCH)] if factor == 1 else []
        runs += [(args.workers, 1), (args.workers, BATCH)]
        for workers, batch in runs:
            if batch == 1 and factor > args.alone_up_to:
                continue
            started, before = time.perf_counter(), cpu()
            reports = validate_report_graphs(graphs, workers=workers, batch=batch)
            wall, used = time.perf_counter() - started, cpu() - before
            violations = sum(r.count("Violation") for r in reports.values())
            own, child = peak_mb()
            how = f"per report, batch {batch}, {workers} proc."
            rows.append(
                (f"{factor}x", len(graphs), triples, how, wall, used, own, child, violations)
            )
            print(rows[-1], flush=True)
        if factor <= args.whole_up_to:
            merged = Graph()
            for graph in graphs.values():
                merged += graph
            started, before = time.perf_counter(), cpu()
            report = validate_graph(merged, context=context)
            wall, used = time.perf_counter() - started, cpu() - before
            own, child = peak_mb()
            rows.append(
                (
                    f"{factor}x",
                    len(graphs),
                    triples,
                    "whole, 1 proc.",
                    wall,
                    used,
                    own,
                    child,
                    report.count("Violation"),
                )
            )
            print(rows[-1], flush=True)

    print()
    print(
        "| data | report graphs | triples | how | wall s | CPU s | peak MB (main / worker) "
        "| violations |"
    )
    print("|---|---:|---:|---|---:|---:|---|---:|")
    for data, n, triples, how, wall, used, own, child, violations in rows:
        print(
            f"| {data} | {n} | {triples} | {how} | {wall:.1f} | {used:.1f} | "
            f"{own:.0f} / {child:.0f} | {violations} |"
        )


if __name__ == "__main__":
    main()
