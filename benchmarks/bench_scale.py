"""Scale benchmarks (issue 6): build, incremental build, load and queries on synthetic corpora.

    /work/venv/bin/python benchmarks/bench_scale.py run --sizes 100 1000 --runs 3 \
        --out benchmarks/results/scale.json
    /work/venv/bin/python benchmarks/bench_scale.py run --sizes 10000 --runs 1 --rdflib-max 0

For each size N (a corpus written by `kg.tools.synth.generate(N, seed)` under `--work`):
- full build, `--runs` times, each in a fresh process with an empty store and cache: wall time
  by phase (`BuildResult.wall`), CPU seconds by stage summed over workers (read, extract, emit,
  validate, reason, serialise: `BuildResult.seconds`), peak memory (ru_maxrss of the build
  process and of its largest worker), extraction throughput (reports per CPU second);
- incremental builds (one report changed; nothing changed), `--runs` times, each a fresh process
  (so the time includes Python start-up and loading the reference data) and its `wall` breakdown;
- load ratio: the build's load (writing the N-Quads file + `write_store`) against pyoxigraph's
  own `Store.bulk_load` of the store's dump into an empty on-disk store;
- query latency of every named query (`queries/*.rq`), with only its required parameters
  ("all") and with every parameter set ("filtered"): p50 and p95 of `--query-runs` runs on the
  on-disk store (read-only, as `kg query` opens it) and on an in-memory store loaded from the
  dump (as a long-running server could hold it), and, up to `--rdflib-max` reports, in an
  rdflib `Dataset` with rdflib's SPARQL engine (`--rdflib-runs` runs, each query in a forked
  process killed after `--rdflib-timeout` seconds);
- the machine: CPU count, load average before and after, Python and library versions.
Results go to `--out` (JSON); `report` prints them as the Markdown tables of RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 6
PARAMS = {  # a sensible value for every parameter a named query takes
    "place": "Mopti",
    "country": "Mali",
    "sector": "Health",
    "organisation": "MSF",
    "year": "2023",
    "indicator": "Consultations",
    "role": "funder",
    "source": "OCHA",
}


def now() -> float:
    return time.perf_counter()


def machine() -> dict[str, Any]:
    versions = {}
    for dist in ("pyoxigraph", "rdflib", "pyshacl"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **versions,
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


# --- one build, in its own process --------------------------------------------------------------


def build_once(reports: Path, store: Path, workers: int | None, full: bool, cache: str) -> dict:
    from kg.build.run import build

    started = now()
    result = build(
        [reports],
        store,
        workers=workers,
        full=full,
        cache_dir=None if cache == "none" else "auto",
    )
    wall = now() - started
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "mode": result.mode,
        "ok": result.ok,
        "reports": len(result.reports),
        "built": result.count("built"),
        "cached": result.count("cached"),
        "unchanged": result.count("unchanged"),
        "failed": len(result.failed),
        "violations": result.violations,
        "quads": result.triples,
        "inferred": result.inferred,
        "facts": sum(r.facts for r in result.reports),
        "wall": {k: round(v, 3) for k, v in result.wall.items()},
        "cpu": {k: round(v, 3) for k, v in result.seconds.items()},
        "build_seconds": round(wall, 3),
        "peak_rss_mib": round(self_rss / 1024, 1),
        "peak_worker_rss_mib": round(child_rss / 1024, 1),
    }


def run_build_process(
    reports: Path,
    store: Path,
    workers: int | None,
    full: bool,
    cache: str = "auto",
    timeout: float | None = None,
) -> dict:
    """A build in a fresh Python process (the time includes start-up and reference loading)."""
    cmd = [sys.executable, __file__, "build-once", str(reports), str(store), "--cache", cache]
    if workers:
        cmd += ["--workers", str(workers)]
    if full:
        cmd.append("--full")
    started = now()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    elapsed = now() - started
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_seconds"] = round(elapsed, 3)
    return data


# --- queries ----------------------------------------------------------------------------------


def query_cases() -> list[tuple[str, str, dict[str, str]]]:
    """(name, variant, params): each named query with its required parameters, and filtered."""
    from kg.query.named import list_queries

    cases = []
    for q in list_queries():
        required = {p.name: PARAMS[p.name] for p in q.params if p.required and p.name in PARAMS}
        cases.append((q.name, "all", required))
        every = {p.name: PARAMS[p.name] for p in q.params if p.name in PARAMS}
        if every != required:
            cases.append((q.name, "filtered", every))
    return cases


def time_oxigraph(store: Any, runs: int) -> dict[str, dict]:
    from kg.query.named import load_query, run_query

    out = {}
    for name, variant, params in query_cases():
        query = load_query(name)
        run_query(store, query, params)  # warm-up
        times, rows = [], 0
        for _ in range(runs):
            started = now()
            rows = len(run_query(store, query, params).rows)
            times.append(now() - started)
        out[f"{name}/{variant}"] = {
            "p50_ms": round(1000 * statistics.median(times), 2),
            "p95_ms": round(1000 * pct(times, 0.95), 2),
            "rows": rows,
            "params": params,
        }
    return out


def _rdflib_child(conn: Any, dataset: Any, text: str, bindings: dict, runs: int) -> None:
    times, rows = [], 0
    for _ in range(runs):
        started = now()
        rows = len(list(dataset.query(text, initBindings=bindings)))
        times.append(now() - started)
        conn.send(("run", times[-1], rows))
    conn.send(("done", times, rows))
    conn.close()


def time_rdflib(dump: Path, runs: int, timeout: float) -> dict[str, Any]:
    from rdflib import Dataset, Literal, Variable
    from rdflib.namespace import XSD

    from kg.query.named import load_query

    started = now()
    dataset = Dataset(default_union=True)
    dataset.parse(dump, format="nquads")
    out: dict[str, Any] = {"parse_seconds": round(now() - started, 2), "queries": {}}
    ctx = multiprocessing.get_context("fork")  # the child shares the parsed dataset
    for name, variant, params in query_cases():
        query = load_query(name)
        bindings = {}
        for key, value in params.items():
            kind = query.param(key).type  # type: ignore[union-attr]
            datatype = {"gYear": XSD.gYear, "integer": XSD.integer}.get(kind)
            bindings[Variable(f"param_{key}")] = Literal(value, datatype=datatype)
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_rdflib_child, args=(child, dataset, query.text, bindings, runs))
        proc.start()
        times: list[float] = []
        rows = None
        deadline = now() + timeout
        status = "ok"
        while True:
            remaining = deadline - now()
            if remaining <= 0 or not parent.poll(remaining):
                status = "timeout"
                break
            kind, value, count = parent.recv()
            if kind == "run":
                times.append(value)
                rows = count
                deadline = now() + timeout
            else:
                break
        if proc.is_alive():
            proc.kill()
        proc.join()
        entry: dict[str, Any] = {"status": status, "rows": rows, "runs": len(times)}
        if times:
            entry["p50_ms"] = round(1000 * statistics.median(times), 1)
            entry["p95_ms"] = round(1000 * pct(times, 0.95), 1)
        else:
            entry["p50_ms"] = f">{timeout * 1000:.0f}"
        out["queries"][f"{name}/{variant}"] = entry
    return out


# --- the whole run ----------------------------------------------------------------------------


def ensure_corpus(work: Path, size: int) -> tuple[Path, float | None]:
    from kg.tools.synth import generate

    corpus = work / f"synth-{size}"
    if (corpus / "planted.jsonl").is_file():
        return corpus, None
    shutil.rmtree(corpus, ignore_errors=True)
    started = now()
    generate(size, SEED, corpus)
    return corpus, round(now() - started, 2)


def change_one_report(corpus: Path, index: int) -> Path:
    files = sorted(corpus.rglob("*.txt"))
    path = files[(index * 7919) % len(files)]
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + f"\nIn 2023, our teams provided {1000 + index:,} consultations.\n", encoding="utf-8"
    )
    return path


def bench_size(args: argparse.Namespace, size: int) -> dict[str, Any]:
    import pyoxigraph as ox

    from kg.store import open_store

    work = Path(args.work)
    corpus, generated = ensure_corpus(work, size)
    result: dict[str, Any] = {
        "size": size,
        "corpus": str(corpus),
        "synth_seconds": generated,
        "machine_before": machine(),
    }
    stores = work / f"stores-{size}"
    # full builds from scratch
    full = []
    for run in range(args.runs):
        shutil.rmtree(stores, ignore_errors=True)
        data = run_build_process(
            corpus, stores / "store", args.workers, True, "auto", timeout=args.timeout
        )
        data["load_average"] = [round(x, 2) for x in os.getloadavg()]
        full.append(data)
        print(f"[{size}] full build {run + 1}: {data['wall']['total']:.1f} s", flush=True)
    result["full"] = full
    store_path = stores / "store"
    # incremental builds: nothing changed, then one report changed
    result["unchanged"] = [
        run_build_process(corpus, store_path, None, False) for _ in range(args.runs)
    ]
    incremental = []
    for run in range(args.runs):
        changed = change_one_report(corpus, run)
        data = run_build_process(corpus, store_path, None, False)
        data["changed"] = changed.name
        incremental.append(data)
        print(
            f"[{size}] incremental {run + 1}: {data['wall']['total']:.2f} s in build, "
            f"{data['process_seconds']:.2f} s for the process",
            flush=True,
        )
    result["incremental"] = incremental
    # load ratio and query latency
    dump = work / f"dump-{size}.nq"
    store = open_store(store_path)
    started = now()
    store.dump(str(dump), ox.RdfFormat.N_QUADS)
    result["dump_seconds"] = round(now() - started, 2)
    result["dump_mib"] = round(dump.stat().st_size / 2**20, 1)
    result["queries_disk"] = time_oxigraph(store, args.query_runs)
    del store
    raw_dir = work / f"raw-{size}"
    shutil.rmtree(raw_dir, ignore_errors=True)
    started = now()
    raw = ox.Store(str(raw_dir))
    raw.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    raw.flush()
    result["raw_bulk_load_seconds"] = round(now() - started, 3)
    started = now()
    raw.optimize()
    result["raw_optimize_seconds"] = round(now() - started, 3)
    del raw
    shutil.rmtree(raw_dir, ignore_errors=True)
    started = now()
    memory = ox.Store()
    memory.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    result["memory_load_seconds"] = round(now() - started, 3)
    result["queries_memory"] = time_oxigraph(memory, args.query_runs)
    del memory
    if size <= args.rdflib_max:
        result["rdflib"] = time_rdflib(dump, args.rdflib_runs, args.rdflib_timeout)
    dump.unlink(missing_ok=True)
    result["machine_after"] = machine()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("build-once", help="(internal) one build, JSON on stdout")
    one.add_argument("reports", type=Path)
    one.add_argument("store", type=Path)
    one.add_argument("--workers", type=int, default=None)
    one.add_argument("--full", action="store_true")
    one.add_argument("--cache", default="auto", choices=["auto", "none"])
    run = sub.add_parser("run", help="benchmark the given corpus sizes")
    run.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    run.add_argument("--runs", type=int, default=3)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--query-runs", type=int, default=20)
    run.add_argument("--rdflib-max", type=int, default=1000)
    run.add_argument("--rdflib-runs", type=int, default=3)
    run.add_argument("--rdflib-timeout", type=float, default=60.0)
    run.add_argument("--timeout", type=float, default=3600.0, help="per build, seconds")
    run.add_argument("--work", default=str(ROOT / "build" / "bench"))
    run.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    rep = sub.add_parser("report", help="print results as Markdown")
    rep.add_argument("results", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "build-once":
        print(json.dumps(build_once(args.reports, args.store, args.workers, args.full, args.cache)))
        return 0
    if args.command == "report":
        for path in args.results:
            print(markdown(json.loads(path.read_text(encoding="utf-8"))))
        return 0
    Path(args.work).mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "sizes": {}}
    if args.out.is_file():
        results = json.loads(args.out.read_text(encoding="utf-8"))
    for size in args.sizes:
        results["sizes"][str(size)] = bench_size(args, size)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


# --- Markdown ---------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    sizes = sorted(results["sizes"].values(), key=lambda r: r["size"])
    lines.append(
        "| reports | quads | full build (s) | per report (ms) | extract reports/s/core "
        "| validate ms/report (CPU) | peak RSS build / worker (MiB) | load / raw bulk_load "
        "| unchanged (s) | one changed: build / process (s) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in sizes:
        full = r["full"]
        total = _median([f["wall"]["total"] for f in full])
        cpu = {k: _median([f["cpu"].get(k, 0.0) for f in full]) for k in full[0]["cpu"]}
        n = r["size"]
        extract = n / cpu["extract"] if cpu.get("extract") else float("nan")
        load = _median([f["wall"].get("write-nquads", 0) + f["wall"]["load"] for f in full])
        raw = r["raw_bulk_load_seconds"]
        inc = r["incremental"]
        lines.append(
            f"| {n:,} | {full[0]['quads']:,} | {total:.1f} | {1000 * total / n:.1f} | "
            f"{extract:.0f} | {1000 * cpu.get('validate', 0) / n:.1f} | "
            f"{max(f['peak_rss_mib'] for f in full):.0f} / "
            f"{max(f['peak_worker_rss_mib'] for f in full):.0f} | "
            f"{load:.2f} s / {raw:.2f} s = {load / raw:.2f}x | "
            f"{_median([u['process_seconds'] for u in r['unchanged']]):.2f} | "
            f"{_median([i['wall']['total'] for i in inc]):.2f} / "
            f"{_median([i['process_seconds'] for i in inc]):.2f} |"
        )
    lines.append("")
    lines.append(
        "Stages, CPU seconds summed over the workers (median of the full builds), and "
        "wall seconds of the build's phases:"
    )
    lines.append("")
    stages = ["read", "extract", "emit", "validate", "reason", "serialise"]
    phases = ["scan", "pipeline-init", "process", "validate-shared", "load", "total"]
    lines.append("| reports | " + " | ".join(stages) + " | " + " | ".join(phases) + " |")
    lines.append("|---|" + "---|" * (len(stages) + len(phases)))
    for r in sizes:
        full = r["full"]
        cells = [f"{_median([f['cpu'].get(s, 0.0) for f in full]):.1f}" for s in stages]
        cells += [f"{_median([f['wall'].get(p, 0.0) for f in full]):.1f}" for p in phases]
        lines.append(f"| {r['size']:,} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Query latency, ms: p50 (p95). Oxigraph on disk (read-only) and in memory; rdflib "
        "in-memory Dataset; ratio = rdflib p50 / Oxigraph disk p50."
    )
    lines.append("")
    header = "| query |"
    for r in sizes:
        header += f" disk {r['size']:,} | memory {r['size']:,} |"
        if "rdflib" in r:
            header += f" rdflib {r['size']:,} | ratio {r['size']:,} |"
    lines.append(header)
    lines.append("|---|" + "---|" * (header.count("|") - 2))
    names = list(sizes[0]["queries_disk"])
    for name in names:
        row = f"| {name} |"
        for r in sizes:
            d = r["queries_disk"][name]
            m = r["queries_memory"][name]
            row += (
                f" {d['p50_ms']:.1f} ({d['p95_ms']:.1f}) | {m['p50_ms']:.1f} ({m['p95_ms']:.1f}) |"
            )
            if "rdflib" in r:
                q = r["rdflib"]["queries"][name]
                p50 = q["p50_ms"]
                if isinstance(p50, str):
                    row += f" {p50} | {p50}/{d['p50_ms']:.0f} |"
                else:
                    row += f" {p50:.0f} | {p50 / max(d['p50_ms'], 0.01):.0f}x |"
        lines.append(row)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
