"""What reasoning costs: the materialised inferences of `kg build`, and `kg ontology check`.

    python benchmarks/bench_inference.py [--store build/store] [--scale 1] [--no-hermit]

Materialised inferences (queries/inference/*.rq, `kg.reason.materialise.materialise`): the rules run
over every stated quad of the store (ontology, reference data, report graphs; the store's own
inferred graph is left out), with the report graphs copied `--scale` times under renamed IRIs
(as in bench_validate.py). Printed per rule: triples constructed, new ones (not stated nor
produced by an earlier rule), seconds; then the total, against the stated triples.

HermiT (`kg.reason.consistency`, through owlready2 in a private World): the ontology alone,
the ontology with the reference data (what `kg ontology check` runs), and with the store's report
data too (`--data`). The numbers are wall-clock seconds, Java start included.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import GRAPH_INFERRED
from kg.reason.materialise import inference_rules, materialise
from kg.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def build_seed_store(directory: Path) -> Path:
    from kg.build.run import build

    path = directory / "store"
    result = build([ROOT / "data" / "reports"], path)
    if not result.ok:
        sys.exit("building the seed store failed")
    return path


def stated_quads(store: ox.Store) -> list[ox.Quad]:
    inferred = ox.NamedNode(str(GRAPH_INFERRED))
    return [q for q in store.quads_for_pattern(None, None, None, None) if q.graph_name != inferred]


def scaled_copies(store_path: Path, factor: int) -> list[ox.Quad]:
    """Copies 1..factor-1 of every report graph, report-local IRIs renamed."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_validate import scaled

    from kg.validate.engine import store_data_graphs

    out: list[ox.Quad] = []
    for name, graph in scaled(store_data_graphs(open_store(store_path)), factor):
        if name.rsplit("/", 1)[-1].rsplit("-c", 1)[-1].isdigit() and "-c" in name:
            data = graph.serialize(format="nt", encoding="utf-8")
            graph_name = ox.NamedNode(name)
            out.extend(
                ox.Quad(t.subject, t.predicate, t.object, graph_name)
                for t in ox.parse(data, ox.RdfFormat.N_TRIPLES)
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build the seeds)")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--no-hermit", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-inference-") as tmp:
        store_path = args.store or build_seed_store(Path(tmp))
        quads = stated_quads(open_store(store_path))
    if args.scale > 1:
        quads += scaled_copies(store_path, args.scale)
    print(f"stated quads: {len(quads)}; load average {os.getloadavg()[0]:.1f}")

    work = ox.Store()
    work.bulk_extend(quads)
    stated = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    seen: set[ox.Triple] = set()
    print("| rule | constructed | new | seconds |")
    print("|---|---:|---:|---:|")
    for name, query in inference_rules():
        started = time.perf_counter()
        constructed = set(work.query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        new = constructed - stated - seen
        seen |= new
        print(f"| {name} | {len(constructed)} | {len(new)} | {seconds:.2f} |")
    started, before = time.perf_counter(), time.process_time()
    inferred = materialise(quads)
    print(
        f"| **all rules** (`materialise`) | | {len(inferred)} | "
        f"{time.perf_counter() - started:.2f} (CPU {time.process_time() - before:.2f}) |"
    )

    if args.no_hermit:
        return
    from rdflib import Graph

    from kg.reason.consistency import check_graphs
    from kg.validate.engine import repository_graphs, store_data_graphs

    ontology, reference = repository_graphs()
    data = Graph()
    for graph in store_data_graphs(open_store(store_path)).values():
        data += graph
    print()
    print("| HermiT on | triples | consistent | seconds |")
    print("|---|---:|---|---:|")
    for label, layers in (
        ("ontology", (ontology, None, None)),
        ("ontology + reference data (`kg ontology check`)", (ontology, reference, None)),
        ("ontology + reference + report data (`--data`)", (ontology, reference, data)),
    ):
        started = time.perf_counter()
        result = check_graphs(*layers)
        print(
            f"| {label} | {result.triples} | {result.consistent} | "
            f"{time.perf_counter() - started:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
