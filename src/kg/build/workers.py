"""Processing reports, in this process or in a pool of worker processes: each worker makes its
own pipeline once (from the reference data kept in the cache) and dies with the build that
started it, however that build ends (docs/decisions/0004-no-data-loss-in-builds.md).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from kg.build.cache import PREPARED_PICKLE, ReportCache, cached, keep, use_cached_reference
from kg.build.manifest import Item
from kg.build.pipeline import PreparedReference, ReportOutput, ReportPipeline

Progress = Callable[[str, int, int, str], None]
"""`progress(stage, done, total, name)`: stage is "scan", "extract", "validate" or "load"."""

CHUNK = 8  # reports per task sent to a worker

_WORKER: dict[str, Any] = {}
"""A worker process's pipeline and cache (set by `_init_worker`, one per process)."""


def new_pipeline(cache_dir: Path | None, fingerprint: str) -> ReportPipeline:
    """The pipeline, from the reference data and what it derives from them kept in the cache
    (`PreparedReference`), when this fingerprint's are there; kept there when they were not."""
    use_cached_reference(cache_dir, fingerprint)
    if cache_dir is None:
        return ReportPipeline()
    prepared = cached(cache_dir, PREPARED_PICKLE, fingerprint, PreparedReference)
    pipeline = ReportPipeline(prepared=prepared)
    if prepared is None:
        keep(cache_dir, PREPARED_PICKLE, fingerprint, pipeline.prepared())
    return pipeline


def _init_worker(cache_dir: str | None, fingerprint: str, parent: int | None = None) -> None:
    die_with_parent(parent)
    _WORKER["pipeline"] = new_pipeline(Path(cache_dir) if cache_dir else None, fingerprint)
    _WORKER["cache"] = ReportCache(Path(cache_dir) if cache_dir else None, fingerprint)


def die_with_parent(parent: int | None) -> None:
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
        target=watch_parent, args=(parent,), name="kg-watch-parent", daemon=True
    ).start()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def watch_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this process as soon as its parent is not `parent` any more (it was re-parented)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _work(chunk: list[tuple[str, str]]) -> list[ReportOutput]:
    pipeline: ReportPipeline = _WORKER["pipeline"]
    cache: ReportCache = _WORKER["cache"]
    outputs = []
    for path, sha in chunk:
        out = pipeline.process(Path(path), sha)
        cache.put(out)
        outputs.append(out)
    return outputs


class Runner:
    """Processes reports; the parent's own pipeline is made only when needed."""

    def __init__(self, cache: ReportCache, cache_dir: Path | None, fingerprint: str) -> None:
        self.cache = cache
        self.cache_dir = cache_dir
        self.fingerprint = fingerprint
        self._pipeline: ReportPipeline | None = None
        self.init_seconds = 0.0  # making the parent's pipeline (reference data, lexicons…)

    @property
    def pipeline(self) -> ReportPipeline:
        if self._pipeline is None:
            started = time.perf_counter()
            self._pipeline = new_pipeline(self.cache_dir, self.fingerprint)
            self.init_seconds = time.perf_counter() - started
        return self._pipeline

    def run(
        self, items: list[Item], workers: int, progress: Progress | None
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
