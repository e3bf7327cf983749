"""A pool of query worker processes, each with the store open read-only.

Why processes: pyoxigraph cannot cancel a running query, and a thread cannot be killed. A
query past its time limit would keep a thread (and a core) busy until it ends on its own,
which for a cartesian product is never. A worker process can be killed: the pool kills the
worker whose query timed out and starts a fresh one in the background, and the other workers
go on answering meanwhile. (Measured in benchmarks/bench_server.py.)

Each request checks one idle worker out, sends it the job over a socket pair and waits at
most `timeout` seconds for the answer. When every worker is busy a request waits up to
`wait` seconds for one, then gets `PoolBusy`.

Workers never outlive the server: the pool kills them on close, and on Linux each worker
asks the kernel for SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG). That is
why one long-lived thread of the pool starts every worker, the first ones and the
replacements alike.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.server.worker import Answer, Job

log = logging.getLogger(__name__)


class PoolError(Exception):
    """A query could not be run by the pool."""


class QueryTimeout(PoolError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran longer than {seconds:g} s and was stopped "
            "(the limit is the server's --timeout)"
        )
        self.seconds = seconds


class PoolBusy(PoolError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"every query worker stayed busy for {seconds:g} s: try again later")


class WorkerCrashed(PoolError):
    pass


class WorkerStartError(PoolError):
    pass


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


@dataclass
class PoolStats:
    jobs: int = 0
    timeouts: int = 0
    crashes: int = 0
    restarts: int = 0


class WorkerPool:
    def __init__(self, store_path: Path, size: int = 2, *, start_timeout: float = 60.0) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.store_path = str(store_path)
        self.size = size
        self.start_timeout = start_timeout
        self.stats = PoolStats()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._closed = False
        self._spawn_requests: queue.Queue[int | None] = queue.Queue()
        self._first_ready: queue.Queue[BaseException | None] = queue.Queue()
        self._spawner = threading.Thread(target=self._spawn_loop, name="kg-worker-spawner",
                                         daemon=True)
        self._spawner.start()
        for _ in range(size):
            self._spawn_requests.put(0)  # 0: a first worker; report to the constructor
        try:
            for _ in range(size):
                failure = self._first_ready.get(timeout=start_timeout + 5)
                if failure is not None:
                    raise failure
        except BaseException:
            self.close()
            raise

    # --- running jobs ----------------------------------------------------------------------

    def run(self, job: Job, timeout: float, wait: float | None = None) -> Answer:
        """Run `job` on an idle worker; raise QueryTimeout past `timeout` seconds."""
        if self._closed:
            raise PoolError("the worker pool is closed")
        patience = timeout if wait is None else wait
        try:
            w = self._idle.get(timeout=patience)
        except queue.Empty:
            raise PoolBusy(patience) from None
        healthy = False
        try:
            w.conn.send(job)
            if not w.conn.poll(timeout):
                with self._lock:
                    self.stats.timeouts += 1
                raise QueryTimeout(timeout)
            answer: Answer = w.conn.recv()
            healthy = True
            with self._lock:
                self.stats.jobs += 1
            return answer
        except (EOFError, OSError) as exc:
            with self._lock:
                self.stats.crashes += 1
            raise WorkerCrashed(
                f"the query worker died while running the query ({exc!r})"
            ) from exc
        finally:
            if healthy:
                self._idle.put(w)
            else:
                self._kill(w)
                if not self._closed:
                    self._spawn_requests.put(1)  # 1: a replacement

    def idle_workers(self) -> int:
        return self._idle.qsize()

    # --- worker lifecycle (all starts happen on the spawner thread) -------------------------

    def _spawn_loop(self) -> None:
        while True:
            request = self._spawn_requests.get()
            if request is None or self._closed:
                return
            error: BaseException | None = None
            for attempt in range(3 if request else 1):
                try:
                    w = self._start()
                    self._wait_ready(w)
                except WorkerStartError as exc:
                    error = exc
                    log.error("query worker start failed (attempt %d): %s", attempt + 1, exc)
                    continue
                if self._closed:
                    self._kill(w)
                    return
                error = None
                if request:
                    with self._lock:
                        self.stats.restarts += 1
                self._idle.put(w)
                break
            if not request:
                self._first_ready.put(error)

    def _start(self) -> _Worker:
        # A fresh interpreter (`python -m kg.server.worker FD STORE PARENT`) talking over a
        # socket pair: no fork of a process that has threads, and unlike multiprocessing's
        # "spawn" it never re-runs the caller's main module.
        parent, child = socket.socketpair()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "kg.server.worker", str(child.fileno()), self.store_path,
                 str(os.getpid())],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            child.close()
        w = _Worker(process, Connection(parent.detach()))
        with self._lock:
            self._workers.add(w)
        return w

    def _wait_ready(self, w: _Worker) -> None:
        if not w.conn.poll(self.start_timeout):
            self._kill(w)
            raise WorkerStartError(f"a query worker did not start within {self.start_timeout} s")
        try:
            kind, message = w.conn.recv()
        except (EOFError, OSError) as exc:
            self._kill(w)
            raise WorkerStartError(f"a query worker died while starting ({exc!r})") from exc
        if kind != "ready":
            self._kill(w)
            raise WorkerStartError(str(message))

    def _kill(self, w: _Worker) -> None:
        with self._lock:
            self._workers.discard(w)
        try:
            w.conn.close()
        except OSError:
            pass
        if w.process.poll() is None:
            w.process.kill()
        try:
            w.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("query worker %d did not exit after SIGKILL", w.process.pid)

    def close(self) -> None:
        self._closed = True
        self._spawn_requests.put(None)
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            self._kill(w)
        if threading.current_thread() is not self._spawner:
            self._spawner.join(timeout=10)
        with self._lock:  # a worker the spawner finished starting meanwhile
            workers = list(self._workers)
        for w in workers:
            self._kill(w)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "PoolBusy",
    "PoolError",
    "PoolStats",
    "QueryTimeout",
    "WorkerCrashed",
    "WorkerPool",
    "WorkerStartError",
]
