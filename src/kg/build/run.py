"""The main job: read reports, extract, emit, validate, materialise inferences, load the store.

Each report goes through `kg.build.pipeline` on its own (read → extract → emit → validate → infer),
in worker processes when there are many (`workers`, default: the CPU count, at most 4); the
parent writes what they give into one N-Quads file and bulk-loads it. The organisations several
reports mint are then validated once on the union of what the reports say about them.

Incremental. The store carries a manifest (`kg.build.manifest`): the pipeline's fingerprint
(`pipeline_fingerprint`: the code, ontology, shapes, reference data, lexicons, inference rules
and library versions) and, per report, the digest of its inputs. With the same fingerprint, only
new and changed reports are processed and `kg.store.update_store` replaces their graphs (and
their inferred triples) in a copy of the store that is swapped in; removed reports' graphs are
dropped. A different fingerprint, or many changes, rebuild the whole store. Per-report outputs
and the reference data are kept between runs in the user's cache directory (`kg.build.cache`);
reports are processed in this process or in worker processes (`kg.build.workers`). See
docs/decisions/0001-incremental-store-updates.md.

One report that cannot be read is named with its reason and the others still build; when the
store holds an earlier version of it, that last good graph (and its inferred triples) stays,
marked stale in the manifest (`stale_reports`), until the report reads again. A build that
would remove every report of the store (an empty or wrong reports folder) is refused
(`RemovalRefused`) unless `prune`; removed reports are named (`BuildResult.removed_reports`).
A SHACL violation stops the build before the store is touched, so the previous store stays
usable; so does any failure while loading. A build holds the store's writer lock
(`kg.store.lock_store`) from start to end, which first clears what a killed build left; its
worker processes die with it. See docs/decisions/0004-no-data-loss-in-builds.md.

The same inputs give the same store, quad for quad (`kg.store.dump_sorted` is byte-identical),
whatever the number of workers and the order in which they finish.

One file: the three kinds of build (unchanged, full, incremental) share one job, the collection
of outputs into report rows and the validation verdict; split, each would import the others.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from kg import __version__, resources
from kg.build.cache import ReportCache, clean_cache
from kg.build.manifest import (
    Item,
    failed_stored,
    is_report_graph,
    load_manifest,
    manifest_bytes,
    scan,
    stale_entry,
    stale_reports,
    stored_reports,
)
from kg.build.pipeline import (
    ReportOutput,
    ReportPipeline,
    is_local,
    parse_lines,
    term_value,
)
from kg.build.workers import Progress, Runner
from kg.model import Extraction
from kg.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REFERENCE, report_graph
from kg.reference.diskcache import build_cache_dir
from kg.resources import internal_query
from kg.store import (
    StoreChanges,
    StoreError,
    StoreLock,
    StoreStats,
    lock_store,
    open_store,
    update_store,
    write_store,
)
from kg.validate.engine import ValidationReport, Violation

_T = TypeVar("_T")

__all__ = [
    "BuildResult",
    "Progress",
    "RemovalRefused",
    "ReportResult",
    "build",
    "default_workers",
    "pipeline_fingerprint",
    "stale_reports",
]

POOL_FROM = 48
"""Worker processes are started from this many reports to process (below, starting them, ~2 s
each to load the reference data, costs more than it saves)."""
INCREMENTAL_UP_TO = 0.2
"""An incremental update when at most this share of the reports changed (else a full build)."""


@dataclass
class ReportResult:
    path: Path
    report_id: str | None = None
    error: str | None = None
    facts: int = 0
    triples: int = 0
    status: str = "built"  # built | cached | unchanged | stale | failed
    """`stale`: it failed (`error` says why) and the store keeps its last good graph."""
    extraction: Extraction | None = None  # not kept by `build` (kept for API compatibility)
    warnings: list[str] = field(default_factory=list)  # what to check (a weak publisher)


@dataclass
class BuildResult:
    reports: list[ReportResult] = field(default_factory=list)
    validation: ValidationReport | None = None
    store: StoreStats | None = None
    inferred: int = 0
    triples: int = 0
    mode: str = "full"  # full | incremental | unchanged
    removed: int = 0
    removed_reports: list[str] = field(default_factory=list)  # ids whose graphs were dropped
    cleaned: list[str] = field(default_factory=list)  # what killed builds left, put right
    seconds: dict[str, float] = field(default_factory=dict)  # CPU seconds per report stage
    wall: dict[str, float] = field(default_factory=dict)  # wall seconds per build phase

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.reports if r.error]

    @property
    def stale(self) -> list[ReportResult]:
        """The reports that failed but whose last good graph the store keeps."""
        return [r for r in self.reports if r.status == "stale"]

    @property
    def violations(self) -> int:
        return self.validation.count("Violation") if self.validation else 0

    @property
    def ok(self) -> bool:
        return not self.failed and self.violations == 0 and self.store is not None

    def count(self, status: str) -> int:
        return sum(1 for r in self.reports if r.status == status)


class RemovalRefused(StoreError):
    """The build would remove every report of the store: refused without `prune`."""

    def __init__(self, store: Path, paths: list[Path], removed: list[str]) -> None:
        self.store, self.removed = store, removed
        shown = ", ".join(removed[:5])
        if len(removed) > 5:
            shown += f" and {len(removed) - 5} more"
        given = ", ".join(str(p) for p in paths) or "no paths"
        super().__init__(
            f"{given}: none of the {len(removed)} reports of the store {store} is there "
            f"({shown}); building would remove them all. Nothing was built and the store was "
            "not touched: check the reports folder, or pass --prune to remove them"
        )


def default_workers(jobs: int) -> int:
    """Worker processes for `jobs` reports to process: 1 below `POOL_FROM`, else the CPU
    count (at most 4)."""
    if jobs < POOL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


# --- the fingerprint --------------------------------------------------------------------------


def pipeline_fingerprint() -> str:
    """Digest of everything a report's graph depends on besides the report itself."""
    digest = hashlib.sha256(f"kg {__version__}\n".encode())
    for dist in ("rdflib", "pyshacl", "pyoxigraph", "pycountry"):
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"{dist} {version}\n".encode())
    package = Path(__file__).resolve().parent.parent  # all of src/kg
    files = sorted(package.rglob("*.py"))
    for kind, pattern in (
        ("ontology", "*.ttl"),
        ("shapes", "*.ttl"),
        ("reference", "*"),
        ("lexicon", "*"),
        ("queries", "inference/*.rq"),
    ):
        files.extend(resources.asset_files(kind, pattern))
    for path in files:
        if path.is_file():
            digest.update(f"{path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- the build ----------------------------------------------------------------------------------


@dataclass
class _Job:
    """What every kind of build needs: its result so far, the reports, the store."""

    result: BuildResult
    items: list[Item]
    runner: Runner
    store_path: Path
    lock: StoreLock
    fingerprint: str
    stored: dict[str, dict[str, Any]]  # the store's reports (manifest entries; {} if unknown)
    workers: int | None
    progress: Progress | None
    started: float

    def finish(self) -> BuildResult:
        self.result.wall["total"] = time.perf_counter() - self.started
        return self.result


def build(
    paths: list[Path],
    store_path: Path,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    full: bool = False,
    cache_dir: Path | None | str = "auto",
    prune: bool = False,
) -> BuildResult:
    """Build (or bring up to date) the store at `store_path` from the reports under `paths`.

    `workers`: processes for extraction and validation (default: `default_workers`). `full`:
    ignore the store's manifest and rebuild everything (the cache is still used). `cache_dir`:
    where per-report outputs are cached ("auto": `kg.reference.diskcache.build_cache_dir`, under
    the user's cache directory; None: no cache).
    `prune`: allow removing every report of the store (without it, `RemovalRefused` before
    anything is processed: an empty or wrong reports folder must not empty the store).
    Raises `kg.store.StoreBusyError` when another build holds the store.
    """
    started = time.perf_counter()
    store_path = Path(store_path)
    cache_path = build_cache_dir(store_path) if cache_dir == "auto" else cache_dir
    cache_path = Path(cache_path) if cache_path is not None else None
    with lock_store(store_path) as lock:
        result = BuildResult(cleaned=[*lock.recovered, *clean_cache(cache_path)])
        fingerprint = pipeline_fingerprint()
        previous = load_manifest(store_path)
        manifest = previous
        if full or (manifest is not None and manifest.get("fingerprint") != fingerprint):
            manifest = None
        if progress:
            progress("scan", 0, 0, "")
        items = scan(paths, manifest)
        result.wall["scan"] = time.perf_counter() - started
        stored = stored_reports(store_path, previous)
        current = {i.report_id for i in items if not i.error}
        removed = sorted(set(stored) - current)
        if stored and len(removed) == len(stored) and not prune:
            raise RemovalRefused(store_path, list(paths), removed)
        result.removed, result.removed_reports = len(removed), removed
        cache = ReportCache(cache_path, fingerprint)
        runner = Runner(cache, cache_path, fingerprint)
        job = _Job(
            result, items, runner, store_path, lock, fingerprint, stored, workers, progress, started
        )
        old = (manifest or {}).get("reports", {})
        # new, changed, and stale (retried on every build until it reads again)
        todo = [
            i
            for i in items
            if not i.error
            and (old.get(i.report_id, {}).get("sha") != i.sha or "stale" in old[i.report_id])
        ]
        if manifest is not None and (store_path / "CURRENT").is_file():
            if not todo and not removed:
                return _unchanged(job, manifest)
            if len(todo) + len(removed) <= max(1, INCREMENTAL_UP_TO * len(current)):
                return _incremental(job, todo, removed, manifest)
        return _full(job)


def _unchanged(job: _Job, manifest: dict[str, Any]) -> BuildResult:
    result = job.result
    result.mode = "unchanged"
    _collect(result, job.items, {}, {}, manifest["reports"])  # every report: failed or unchanged
    result.validation = ValidationReport(True, [], Graph())
    result.store = StoreStats(job.store_path, manifest["quads"], manifest["graphs"], 0.0)
    result.triples, result.inferred = manifest["quads"], manifest["inferred"]
    return job.finish()


def _collect(
    result: BuildResult,
    items: list[Item],
    outputs: dict[str, ReportOutput],
    statuses: dict[str, str],
    entries: dict[str, Any],
    stale: dict[str, dict[str, Any]] | None = None,
) -> list[Violation]:
    """Report rows in file order; the violations of the reports' own nodes. `stale`: the
    manifest entries of the failed reports whose last good graph stays."""
    violations: list[Violation] = []
    stale = stale or {}
    for item in items:
        if item.error:
            result.reports.append(
                ReportResult(item.path, item.report_id, item.error, status="failed")
            )
            continue
        out = outputs.get(str(item.path))
        if out is None:  # unchanged
            entry = entries[item.report_id]
            result.reports.append(
                ReportResult(
                    item.path,
                    item.report_id,
                    facts=entry["facts"],
                    triples=entry["triples"],
                    status="unchanged",
                )
            )
            continue
        if out.error:
            kept = stale.get(item.report_id)
            if kept is not None:
                result.reports.append(
                    ReportResult(
                        item.path,
                        item.report_id,
                        out.error,
                        facts=kept.get("facts", 0),
                        triples=kept.get("triples", 0),
                        status="stale",
                    )
                )
            else:
                result.reports.append(ReportResult(item.path, None, out.error, status="failed"))
            continue
        result.reports.append(
            ReportResult(
                item.path,
                out.report_id,
                facts=out.facts,
                triples=out.triples,
                status=statuses.get(str(item.path), "built"),
                warnings=out.warnings,
            )
        )
        violations.extend(out.violations)
        for stage, seconds in out.seconds.items():
            result.seconds[stage] = result.seconds.get(stage, 0.0) + seconds
    return violations


def _process(
    items: list[Item],
    runner: Runner,
    workers: int | None,
    progress: Progress | None,
    result: BuildResult,
    sink: Callable[[ReportOutput], None] | None = None,
) -> tuple[dict[str, ReportOutput], dict[str, str]]:
    """Outputs by path (from the cache when it has them), and how each was obtained.

    With `sink`, each output is handed to it as it comes and its N-Quads are then dropped (a
    full build of 10,000 reports would otherwise hold them all in memory)."""
    outputs: dict[str, ReportOutput] = {}
    statuses: dict[str, str] = {}
    missing: list[Item] = []

    def keep(out: ReportOutput) -> None:
        if sink is not None and out.ok:
            sink(out)
            out.nquads = out.inferred = b""
        outputs[out.path] = out

    for item in items:
        hit = runner.cache.get(item.report_id, item.sha)
        if hit is not None and hit.path == str(item.path):
            keep(hit)
            statuses[str(item.path)] = "cached"
        else:
            missing.append(item)
    started = time.perf_counter()
    count = workers if workers is not None else default_workers(len(missing))
    count = count if len(missing) >= 2 else 1  # one report: no worker processes
    for out in runner.run(missing, count, progress):
        keep(out)
    result.wall["process"] = time.perf_counter() - started
    result.wall["workers"] = count
    result.wall["pipeline-init"] = runner.init_seconds
    return outputs, statuses


def _full(job: _Job) -> BuildResult:
    result, items, runner, store_path = job.result, job.items, job.runner, job.store_path
    progress = job.progress
    result.mode = "full"
    todo = [i for i in items if not i.error]
    load_file = store_path.with_name(f"{store_path.name}.load-{os.getpid()}.nq")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    inferred_name = f" <{GRAPH_INFERRED}> .\n".encode()
    try:
        with load_file.open("wb") as handle:

            def write(out: ReportOutput) -> None:
                handle.write(out.nquads)
                handle.write(_as_quads(out.inferred, inferred_name))

            outputs, statuses = _process(todo, runner, job.workers, progress, result, write)
            pipeline = runner.pipeline
            kept = _kept_from_store(job, outputs, pipeline)
            for out, _entry in kept.values():
                write(out)
            handle.write(_as_quads(_lines(pipeline.reasoner.reference_inferred), inferred_name))
        stale = {rid: entry for rid, (_out, entry) in kept.items()}
        violations = _collect(result, items, outputs, statuses, {}, stale)
        ok = sorted(
            [*(o for o in outputs.values() if o.ok), *(o for o, _ in kept.values())],
            key=lambda o: o.report_id or "",
        )
        if progress:
            progress("validate", 0, 0, "")
        phase = time.perf_counter()
        violations.extend(pipeline.validate_shared(_merge(o.shared for o in ok)))
        result.wall["validate-shared"] = time.perf_counter() - phase
        result.validation = _validation(violations)
        if result.validation.count("Violation"):
            return job.finish()
        if progress:
            progress("load", 0, 0, str(store_path))
        phase = time.perf_counter()
        context_quads = [
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(str(name)))
            for name, triples in (
                (GRAPH_ONTOLOGY, pipeline.ontology_triples),
                (GRAPH_REFERENCE, pipeline.reference_triples),
            )
            for t in triples
        ]
        counted: dict[str, int] = {}

        def manifest(store: ox.Store, quads: int, graphs: int) -> bytes:
            counted["inferred"] = _count_graph(store, str(GRAPH_INFERRED))
            return manifest_bytes(
                job.fingerprint, items, outputs, {}, quads, graphs, counted["inferred"], stale
            )

        stats = write_store(
            store_path, load_file, manifest=manifest, more=context_quads, lock=job.lock
        )
    finally:
        load_file.unlink(missing_ok=True)
    result.wall["load"] = time.perf_counter() - phase
    result.store, result.triples, result.inferred = stats, stats.quads, counted["inferred"]
    return job.finish()


def _kept_from_store(
    job: _Job, outputs: dict[str, ReportOutput], pipeline: ReportPipeline
) -> dict[str, tuple[ReportOutput, dict[str, Any]]]:
    """For a full build: the last good graph of each report that failed now, read from the
    previous store as the pipeline's output (its inferred triples computed again), with its
    stale manifest entry. A report the previous store has no graph for simply fails."""
    failed = failed_stored(job.items, outputs, job.stored)
    if not failed or not (job.store_path / "CURRENT").is_file():
        return {}
    kept: dict[str, tuple[ReportOutput, dict[str, Any]]] = {}
    store = open_store(job.store_path)
    try:
        for item, reason in failed:
            rid = item.report_id
            graph = ox.NamedNode(str(report_graph(rid)))
            quads = list(store.quads_for_pattern(None, None, None, graph))
            if not quads:
                continue
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            entry = job.stored[rid] or {
                "path": str(item.path),
                "sha": "",
                "stat": [],
                "facts": 0,
                "triples": len(triples),
            }
            out = ReportOutput(
                path=str(item.path),
                input_sha=str(entry.get("sha", "")),
                report_id=rid,
                facts=int(entry.get("facts", 0)),
                triples=int(entry.get("triples", len(triples))),
                nquads="".join(sorted(f"{q} .\n" for q in quads)).encode("utf-8"),
                inferred=_lines(pipeline.inferred_for(triples)),
                shared=_lines(t for t in triples if not is_local(term_value(t.subject), rid)),
            )
            kept[rid] = (out, stale_entry(entry, reason))
    finally:
        del store
    return kept


def _incremental(
    job: _Job, todo: list[Item], removed: list[str], manifest: dict[str, Any]
) -> BuildResult:
    result, items, runner, store_path = job.result, job.items, job.runner, job.store_path
    progress = job.progress
    result.mode = "incremental"
    old = manifest["reports"]
    outputs, statuses = _process(todo, runner, job.workers, progress, result)
    # a report that fails now keeps its last good graph, marked stale
    stale = {
        item.report_id: stale_entry(old[item.report_id], reason)
        for item, reason in failed_stored(items, outputs, old)
    }
    violations = _collect(result, items, outputs, statuses, old, stale)
    new = [o for o in outputs.values() if o.ok]
    # every report whose graph leaves the store: changed (and read), removed
    replaced = sorted(
        {i.report_id for i in todo if i.report_id in old and i.report_id not in stale}
        | set(removed)
    )
    if not new and not replaced and stale == {r: e for r, e in old.items() if "stale" in e}:
        # only reports that still fail, already marked stale: nothing to write
        result.mode = "unchanged"
        result.validation = _validation(violations)
        result.store = StoreStats(store_path, manifest["quads"], manifest["graphs"], 0.0)
        result.triples, result.inferred = manifest["quads"], manifest["inferred"]
        return job.finish()
    if progress:
        progress("validate", 0, 0, "")
    phase = time.perf_counter()
    pipeline = runner.pipeline
    current = open_store(store_path)
    replaced_graphs = {str(report_graph(rid)) for rid in replaced}
    old_inferred: set[ox.Triple] = set()
    touched: set[str] = set()  # non-local subjects (minted organisations) of old and new graphs
    for rid in replaced:
        triples = _graph_triples(current, str(report_graph(rid)))
        touched.update(
            term_value(t.subject) for t in triples if not is_local(term_value(t.subject), rid)
        )
        old_inferred.update(t for t in pipeline.inferred_for(triples))
    new_inferred: set[ox.Triple] = set()
    for out in new:
        new_inferred.update(parse_lines(out.inferred))
        touched.update(term_value(t.subject) for t in parse_lines(out.shared))
    # the union of what every report now says about the touched subjects, validated once
    shared_lines = [o.shared for o in new]
    for subject in sorted(touched):
        lines = [
            f"{ox.Triple(q.subject, q.predicate, q.object)} .\n"
            for q in current.quads_for_pattern(ox.NamedNode(subject), None, None, None)
            if is_report_graph(q.graph_name) and term_value(q.graph_name) not in replaced_graphs
        ]
        shared_lines.append("".join(lines).encode("utf-8"))
    violations.extend(pipeline.validate_shared(_merge(shared_lines)))
    result.validation = _validation(violations)
    result.wall["validate-shared"] = time.perf_counter() - phase
    if result.validation.count("Violation"):
        del current
        return job.finish()
    # inferred triples no report gives any more
    phase = time.perf_counter()
    inferred_graph = ox.NamedNode(str(GRAPH_INFERRED))
    gone = [
        t
        for t in sorted(old_inferred - new_inferred, key=str)
        if not _still_inferred(t, current, pipeline, replaced_graphs)
    ]
    added_inferred = [
        ox.Quad(t.subject, t.predicate, t.object, inferred_graph)
        for t in sorted(new_inferred, key=str)
    ]
    fresh_inferred = sum(1 for q in added_inferred if q not in current)
    del current
    changes = StoreChanges(
        remove_graphs=sorted(replaced_graphs),
        remove_quads=[ox.Quad(t.subject, t.predicate, t.object, inferred_graph) for t in gone],
        add_quads=[q for o in new for q in parse_lines(o.nquads, quads=True)] + added_inferred,
    )
    result.wall["plan-update"] = time.perf_counter() - phase
    if progress:
        progress("load", 0, 0, str(store_path))
    phase = time.perf_counter()
    inferred = manifest["inferred"] - len(gone) + fresh_inferred
    stats = update_store(
        store_path,
        changes,
        manifest=lambda _store, quads, graphs: manifest_bytes(
            job.fingerprint, items, outputs, old, quads, graphs, inferred, stale
        ),
        quads_before=manifest["quads"],
        graphs_before=manifest["graphs"],
        lock=job.lock,
    )
    result.wall["load"] = time.perf_counter() - phase
    result.store, result.triples, result.inferred = stats, stats.quads, inferred
    return job.finish()


# --- helpers -------------------------------------------------------------------------------------


def _validation(violations: list[Violation]) -> ValidationReport:
    ordered = sorted(set(violations), key=Violation.sort_key)
    conforms = not any(v.severity == "Violation" for v in ordered)
    return ValidationReport(conforms=conforms, violations=ordered, report_graph=Graph())


def _merge(parts: Iterable[bytes]) -> bytes:
    lines: set[bytes] = set()
    for data in parts:
        lines.update(line + b"\n" for line in data.splitlines() if line.strip())
    return b"".join(sorted(lines))


def _lines(triples: Iterable[ox.Triple]) -> bytes:
    return "".join(sorted(f"{t} .\n" for t in triples)).encode("utf-8")


def _as_quads(ntriples: bytes, graph_suffix: bytes) -> bytes:
    """N-Triples lines ("s p o .") as N-Quads lines of one graph ("s p o <g> .")."""
    return b"".join(
        line[:-2] + graph_suffix
        for line in ntriples.splitlines(keepends=True)
        if line.endswith(b" .\n")
    )


def _graph_triples(store: ox.Store, graph: str) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    ]


def _count_graph(store: ox.Store, graph: str) -> int:
    rows = store.query(
        internal_query("graph-size"), substitutions={ox.Variable("graph"): ox.NamedNode(graph)}
    )
    for row in rows:  # type: ignore[union-attr]
        return int(row["n"].value)
    return 0


def _still_inferred(
    triple: ox.Triple, store: ox.Store, pipeline: ReportPipeline, replaced: set[str]
) -> bool:
    """Whether a report that stays (not in `replaced`) still gives this inferred triple: the
    reports whose graphs have one of its IRIs as a subject are asked, one at a time."""
    candidates: set[str] = set()
    for term in (triple.subject, triple.object):
        if not isinstance(term, ox.NamedNode):
            continue
        for quad in store.quads_for_pattern(term, None, None, None):
            name = quad.graph_name
            if is_report_graph(name) and name.value not in replaced:  # type: ignore[union-attr]
                candidates.add(name.value)  # type: ignore[union-attr]
    for graph in sorted(candidates):
        if triple in pipeline.inferred_for(_graph_triples(store, graph)):
            return True
    return False
