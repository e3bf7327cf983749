"""The main job: read reports, extract, emit, validate, materialise inferences, load the store.

Each report goes through `kg.build.pipeline` on its own (read → extract → emit → validate → infer),
in worker processes when there are many (`workers`, default: the CPU count, at most 4); the
parent writes what they give into one N-Quads file and bulk-loads it. The organisations several
reports mint are then validated once on the union of what the reports say about them.

Incremental. The store carries a manifest (`kg-build.json`, see `kg.store`): the pipeline's
fingerprint (`pipeline_fingerprint`: the code, ontology, shapes, reference data, lexicons,
inference rules and library versions) and, per report, the digest of its inputs (file name, text
and sidecar: `kg.build.pipeline.input_sha256`; size and modification time spare re-reading files
that did not change). With the same fingerprint, only new and changed reports are processed and
`kg.store.update_store` replaces their graphs (and their inferred triples) in a copy of the store
that is swapped in; removed reports' graphs are dropped. A different fingerprint, or many changes,
rebuild the whole store. Per-report outputs are cached under the user's cache directory, one
folder per store (`kg.reference.diskcache.build_cache_dir`; one JSON file per report, keyed by
input digest and fingerprint), so a full rebuild re-extracts
only what changed; the reference data is kept there too, pickled per fingerprint
(`use_cached_reference`), with what the pipeline derives from it (`PreparedReference`), so a
process need not parse, generate and reason over it again. See
docs/decisions/0001-incremental-store-updates.md.

One report that cannot be read is named with its reason and the others still build; when the
store holds an earlier version of it, that last good graph (and its inferred triples) stays,
marked stale in the manifest (`stale_reports`), until the report reads again. A build that
would remove every report of the store (an empty or wrong reports folder) is refused
(`RemovalRefused`) unless `prune`; removed reports are named (`BuildResult.removed_reports`).
A SHACL violation stops the build before the store is touched, so the previous store stays
usable; so does any failure while loading. A build holds the store's writer lock
(`kg.store.lock_store`) from start to end, which first clears what a killed build left; its
worker processes die with it (`_die_with_parent`). See
docs/decisions/0004-no-data-loss-in-builds.md.

The same inputs give the same store, quad for quad (`kg.store.dump_sorted` is byte-identical),
whatever the number of workers and the order in which they finish.

One file: the cache, the manifest and the worker pool share one build's state (fingerprint, per-
report digests, the pool); splitting them into build/cache.py, manifest.py and workers.py waits
until that state is one object passed between them (issue 19).
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import pickle
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from kg import __version__, resources
from kg.build.pipeline import (
    PreparedReference,
    ReportOutput,
    ReportPipeline,
    input_sha256,
    is_local,
    parse_lines,
    term_value,
)
from kg.model import Extraction
from kg.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REFERENCE, report_graph, slugify
from kg.reference.diskcache import build_cache_dir
from kg.reference.loader import Reference, adopt_reference, build_reference
from kg.reports import find_reports, sidecar_name
from kg.resources import internal_query
from kg.store import (
    StoreChanges,
    StoreError,
    StoreLock,
    StoreStats,
    lock_store,
    open_store,
    read_manifest,
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

Progress = Callable[[str, int, int, str], None]
"""`progress(stage, done, total, name)`: stage is "scan", "extract", "validate" or "load"."""

MANIFEST_FORMAT = 1
POOL_FROM = 48
"""Worker processes are started from this many reports to process (below, starting them, ~2 s
each to load the reference data, costs more than it saves)."""
INCREMENTAL_UP_TO = 0.2
"""An incremental update when at most this share of the reports changed (else a full build)."""
CHUNK = 8  # reports per task sent to a worker


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


# --- planning -----------------------------------------------------------------------------------


@dataclass
class _Item:
    path: Path
    report_id: str
    sha: str = ""
    stat: list[int] = field(default_factory=list)
    error: str | None = None


def _stat(path: Path) -> list[int]:
    # os.stat on strings: for 10,000 reports, pathlib's stat and with_suffix took twice as long
    name = str(path)
    st = os.stat(name)
    out = [st.st_size, st.st_mtime_ns]
    try:
        sst = os.stat(sidecar_name(name))
    except OSError:
        return out  # no sidecar (what `input_sha256` digests then)
    if stat.S_ISREG(sst.st_mode):
        out += [sst.st_size, sst.st_mtime_ns]
    return out


def _scan(paths: list[Path], manifest: dict[str, Any] | None) -> list[_Item]:
    """Every report file with its id and input digest (reused from the manifest when the file
    and its sidecar have the same size and modification time)."""
    known = (manifest or {}).get("reports", {})
    items: list[_Item] = []
    seen: set[str] = set()
    for path in find_reports(paths):
        item = _Item(path, slugify(path.stem))
        items.append(item)
        if item.report_id in seen:
            item.error = f"{path}: another report has the same id {item.report_id!r}"
            continue
        seen.add(item.report_id)
        try:
            item.stat = _stat(path)
            entry = known.get(item.report_id)
            if entry and entry.get("path") == str(path) and entry.get("stat") == item.stat:
                item.sha = entry["sha"]
            else:
                item.sha = input_sha256(path)
        except OSError:
            item.sha = ""  # the pipeline names the problem (no such file, a directory…)
    return items


def _load_manifest(store_path: Path) -> dict[str, Any] | None:
    raw = read_manifest(store_path)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return None
    return data


# --- the cache ----------------------------------------------------------------------------------


class _Cache:
    """Per-report outputs on disk: `<dir>/reports/<report-id>.json`."""

    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.dir = directory / "reports" if directory is not None else None
        self.fingerprint = fingerprint

    def get(self, report_id: str, sha: str) -> ReportOutput | None:
        if self.dir is None or not sha:
            return None
        try:
            data = json.loads((self.dir / f"{report_id}.json").read_bytes())
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != self.fingerprint or data.get("input_sha") != sha:
            return None
        try:
            return ReportOutput(
                path=data["path"],
                input_sha=data["input_sha"],
                report_id=data["report_id"],
                facts=data["facts"],
                triples=data["triples"],
                nquads=data["nquads"].encode("utf-8"),
                inferred=data["inferred"].encode("utf-8"),
                shared=data["shared"].encode("utf-8"),
                violations=[Violation(**v) for v in data["violations"]],
                warnings=list(data.get("warnings", [])),
            )
        except (KeyError, TypeError):
            return None

    def put(self, out: ReportOutput) -> None:
        if self.dir is None or out.error or not out.input_sha or out.report_id is None:
            return
        data = {
            "fingerprint": self.fingerprint,
            "input_sha": out.input_sha,
            "path": out.path,
            "report_id": out.report_id,
            "facts": out.facts,
            "triples": out.triples,
            "nquads": out.nquads.decode("utf-8"),
            "inferred": out.inferred.decode("utf-8"),
            "shared": out.shared.decode("utf-8"),
            "violations": [asdict(v) for v in out.violations],
            "warnings": out.warnings,
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"{out.report_id}.json"
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)


# --- the reference data, kept in the cache -------------------------------------------------------

_REFERENCE_PICKLE = "reference-{}.pickle"
_PREPARED_PICKLE = "prepared-{}.pickle"


def use_cached_reference(cache_dir: Path | None, fingerprint: str) -> None:
    """Adopt the reference data of this fingerprint from the build cache, or build it and keep it
    there: unpickling takes about a tenth of parsing the ontology and reference files and
    generating the ISO places, which dominates an incremental build of one report.

    The fingerprint covers the code, the data files and the library versions, so a pickle is
    only used by the checkout that wrote it; a missing, unreadable or foreign one is rebuilt
    (from the files, never from what this process already holds, which may predate an edit).
    The cache directory is the user's own build output (a pickle runs code when loaded)."""
    if cache_dir is None:
        return
    reference = _cached(cache_dir, _REFERENCE_PICKLE, fingerprint, Reference)
    if reference is None:
        reference = build_reference()
        _keep(cache_dir, _REFERENCE_PICKLE, fingerprint, reference)
    adopt_reference(reference)


def _cached(cache_dir: Path, name: str, fingerprint: str, kind: type[_T]) -> _T | None:
    """The `kind` object pickled in the cache for this fingerprint, or None."""
    try:
        with (cache_dir / name.format(fingerprint)).open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - our own cache, keyed by fingerprint
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never fatal
        return None
    return loaded if isinstance(loaded, kind) else None


def _keep(cache_dir: Path, name: str, fingerprint: str, value: object) -> None:
    """Pickle `value` for this fingerprint, replacing other fingerprints' files of `name`."""
    path = cache_dir / name.format(fingerprint)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(name.format("*")):
            if old != path:
                old.unlink(missing_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        try:
            with tmp.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- processing, in this process or in workers ------------------------------------------------

_WORKER: dict[str, Any] = {}
"""A worker process's pipeline and cache (set by `_init_worker`, one per process)."""


def _new_pipeline(cache_dir: Path | None, fingerprint: str) -> ReportPipeline:
    """The pipeline, from the reference data and what it derives from them kept in the cache
    (`PreparedReference`), when this fingerprint's are there; kept there when they were not."""
    use_cached_reference(cache_dir, fingerprint)
    if cache_dir is None:
        return ReportPipeline()
    prepared = _cached(cache_dir, _PREPARED_PICKLE, fingerprint, PreparedReference)
    pipeline = ReportPipeline(prepared=prepared)
    if prepared is None:
        _keep(cache_dir, _PREPARED_PICKLE, fingerprint, pipeline.prepared())
    return pipeline


def _init_worker(cache_dir: str | None, fingerprint: str, parent: int | None = None) -> None:
    _die_with_parent(parent)
    _WORKER["pipeline"] = _new_pipeline(Path(cache_dir) if cache_dir else None, fingerprint)
    _WORKER["cache"] = _Cache(Path(cache_dir) if cache_dir else None, fingerprint)


def _die_with_parent(parent: int | None) -> None:
    """Make this worker end when the build that started it ends, however it ends (a killed
    build left its workers running for over a minute, holding memory and the cache).

    Linux: the kernel sends SIGKILL when the parent goes (`prctl(PR_SET_PDEATHSIG)`; the
    parent may have died before the call, hence the check after it). Elsewhere, or if prctl
    fails: a daemon thread that exits the process once its parent is no longer `parent`."""
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:
                os._exit(1)
            return
    threading.Thread(
        target=_watch_parent, args=(parent,), name="kg-watch-parent", daemon=True
    ).start()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this process as soon as its parent is not `parent` any more (it was re-parented)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _clean_cache(cache_dir: Path | None) -> list[str]:
    """Delete the cache's temporary files that killed processes left (`<name>.tmp-<pid>`,
    the pid no longer running: the cache may be shared with another store's live build)."""
    if cache_dir is None:
        return []
    removed = 0
    for directory in (cache_dir, cache_dir / "reports"):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            stem, sep, pid = entry.name.rpartition(".tmp-")
            if not sep or not stem or not pid.isdigit() or _alive(int(pid)):
                continue
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    if not removed:
        return []
    return [
        f"removed {removed} unfinished cache file(s) under {cache_dir}, left by a build "
        "that was killed"
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours (EPERM): it exists
        return True
    return True


def _work(chunk: list[tuple[str, str]]) -> list[ReportOutput]:
    pipeline: ReportPipeline = _WORKER["pipeline"]
    cache: _Cache = _WORKER["cache"]
    outputs = []
    for path, sha in chunk:
        out = pipeline.process(Path(path), sha)
        cache.put(out)
        outputs.append(out)
    return outputs


class _Runner:
    """Processes reports; the parent's own pipeline is made only when needed."""

    def __init__(self, cache: _Cache, cache_dir: Path | None, fingerprint: str) -> None:
        self.cache = cache
        self.cache_dir = cache_dir
        self.fingerprint = fingerprint
        self._pipeline: ReportPipeline | None = None
        self.init_seconds = 0.0  # making the parent's pipeline (reference data, lexicons…)

    @property
    def pipeline(self) -> ReportPipeline:
        if self._pipeline is None:
            started = time.perf_counter()
            self._pipeline = _new_pipeline(self.cache_dir, self.fingerprint)
            self.init_seconds = time.perf_counter() - started
        return self._pipeline

    def run(
        self, items: list[_Item], workers: int, progress: Progress | None
    ) -> Iterator[ReportOutput]:
        """Outputs in completion order (the caller sorts what must be ordered)."""
        total = len(items)
        if workers <= 1:
            for done, item in enumerate(items, start=1):
                out = self.pipeline.process(item.path, item.sha)
                self.cache.put(out)
                if progress:
                    progress("extract", done, total, item.path.name)
                yield out
            return
        chunks = [
            [(str(i.path), i.sha) for i in items[start : start + CHUNK]]
            for start in range(0, total, CHUNK)
        ]
        done = 0
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),  # the caller may hold threads
            initializer=_init_worker,
            initargs=(
                str(self.cache_dir) if self.cache_dir else None,
                self.fingerprint,
                os.getpid(),
            ),
        ) as pool:
            pending: set[Future[list[ReportOutput]]] = {
                pool.submit(_work, chunk) for chunk in chunks
            }
            _ = self.pipeline  # the parent's own, made while the workers start
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    for out in future.result():
                        done += 1
                        if progress:
                            progress("extract", done, total, Path(out.path).name)
                        yield out


# --- the build ----------------------------------------------------------------------------------


@dataclass
class _Job:
    """What every kind of build needs: its result so far, the reports, the store."""

    result: BuildResult
    items: list[_Item]
    runner: _Runner
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
        result = BuildResult(cleaned=[*lock.recovered, *_clean_cache(cache_path)])
        fingerprint = pipeline_fingerprint()
        previous = _load_manifest(store_path)
        manifest = previous
        if full or (manifest is not None and manifest.get("fingerprint") != fingerprint):
            manifest = None
        if progress:
            progress("scan", 0, 0, "")
        items = _scan(paths, manifest)
        result.wall["scan"] = time.perf_counter() - started
        stored = _stored_reports(store_path, previous)
        current = {i.report_id for i in items if not i.error}
        removed = sorted(set(stored) - current)
        if stored and len(removed) == len(stored) and not prune:
            raise RemovalRefused(store_path, list(paths), removed)
        result.removed, result.removed_reports = len(removed), removed
        cache = _Cache(cache_path, fingerprint)
        runner = _Runner(cache, cache_path, fingerprint)
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


def _stored_reports(store_path: Path, manifest: dict[str, Any] | None) -> dict[str, Any]:
    """The reports the store holds, by id: the manifest's entries (whatever fingerprint
    built it), or, for a store without a readable manifest, its report graphs (entries {})."""
    if manifest is not None:
        return dict(manifest.get("reports", {}))
    try:
        store = open_store(store_path)
    except StoreError:
        return {}
    try:
        return {
            name.value[len(_REPORT_GRAPH) :]: {}
            for name in store.named_graphs()
            if _is_report_graph(name)
        }
    finally:
        del store


def stale_reports(store_path: Path) -> dict[str, str]:
    """The store's stale reports: report id -> why its last build failed (its graph is the
    last good one, kept until the report reads again). Empty without a manifest."""
    manifest = _load_manifest(Path(store_path)) or {}
    return {
        rid: str(entry["stale"])
        for rid, entry in sorted(manifest.get("reports", {}).items())
        if isinstance(entry, dict) and entry.get("stale")
    }


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
    items: list[_Item],
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


def _manifest(
    fingerprint: str,
    items: list[_Item],
    outputs: dict[str, ReportOutput],
    old: dict[str, Any],
    quads: int,
    graphs: int,
    inferred: int,
    stale: dict[str, dict[str, Any]] | None = None,
) -> bytes:
    """`stale`: the entries of the failed reports whose last good graph stays (they keep that
    version's digest, so the next build tries the report again)."""
    reports: dict[str, Any] = {}
    stale = stale or {}
    for item in items:
        if item.error:
            continue
        out = outputs.get(str(item.path))
        if out is None:
            if item.report_id in old:
                reports[item.report_id] = {**old[item.report_id], "stat": item.stat}
            continue
        if out.error:
            if item.report_id in stale:
                reports[item.report_id] = stale[item.report_id]
            continue
        reports[item.report_id] = {
            "path": str(item.path),
            "sha": out.input_sha,
            "stat": item.stat,
            "facts": out.facts,
            "triples": out.triples,
        }
    head = {
        "format": MANIFEST_FORMAT,
        "fingerprint": fingerprint,
        "quads": quads,
        "graphs": graphs,
        "inferred": inferred,
    }
    # one line per report, written by json's C encoder (`indent` makes it use the Python one:
    # 0.08 s of an incremental build at 10,000 reports, against 0.02 s)
    lines = [
        f"{json.dumps(key)}: {json.dumps(reports[key], sort_keys=True)}" for key in sorted(reports)
    ]
    body = "{\n " + ",\n ".join(lines) + "\n}" if lines else "{}"
    text = json.dumps(head, sort_keys=True)[:-1] + f', "reports": {body}}}\n'
    return text.encode("utf-8")


def _failed_stored(
    items: list[_Item], outputs: dict[str, ReportOutput], stored: dict[str, Any]
) -> list[tuple[_Item, str]]:
    """The reports that failed now and that the store holds: (item, why it failed)."""
    out: list[tuple[_Item, str]] = []
    for item in items:
        found = outputs.get(str(item.path))
        if not item.error and item.report_id in stored and found is not None and found.error:
            out.append((item, found.error))
    return out


def _stale_entry(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    """The manifest entry of a stale report: its last good version's, with why it failed."""
    return {**{k: v for k, v in entry.items() if k != "stale"}, "stale": reason}


def _process(
    items: list[_Item],
    runner: _Runner,
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
    missing: list[_Item] = []

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
            return _manifest(
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
    failed = _failed_stored(job.items, outputs, job.stored)
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
            kept[rid] = (out, _stale_entry(entry, reason))
    finally:
        del store
    return kept


def _incremental(
    job: _Job, todo: list[_Item], removed: list[str], manifest: dict[str, Any]
) -> BuildResult:
    result, items, runner, store_path = job.result, job.items, job.runner, job.store_path
    progress = job.progress
    result.mode = "incremental"
    old = manifest["reports"]
    outputs, statuses = _process(todo, runner, job.workers, progress, result)
    # a report that fails now keeps its last good graph, marked stale
    stale = {
        item.report_id: _stale_entry(old[item.report_id], reason)
        for item, reason in _failed_stored(items, outputs, old)
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
            if _is_report_graph(q.graph_name) and term_value(q.graph_name) not in replaced_graphs
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
        manifest=lambda _store, quads, graphs: _manifest(
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


_REPORT_GRAPH = str(report_graph("x"))[:-1]


def _is_report_graph(name: object) -> bool:
    return isinstance(name, ox.NamedNode) and name.value.startswith(_REPORT_GRAPH)


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
            if _is_report_graph(name) and name.value not in replaced:  # type: ignore[union-attr]
                candidates.add(name.value)  # type: ignore[union-attr]
    for graph in sorted(candidates):
        if triple in pipeline.inferred_for(_graph_triples(store, graph)):
            return True
    return False
