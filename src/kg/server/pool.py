"""A pool of query worker processes, each with the store open read-only, and the rules that
share them out among clients.

Why processes: pyoxigraph cannot cancel a running query, and a thread cannot be killed. A
query past its time limit would keep a thread (and a core) busy until it ends on its own,
which for a cartesian product is never. A worker process can be killed: the pool kills the
worker whose query timed out and starts a fresh one in the background, and the other workers
go on answering meanwhile. (Measured in benchmarks/bench_server.py.)

How the workers are shared (so that a few runaway queries cannot starve cheap ones):

- **Fair queue.** A request waits for an idle worker at most `wait` seconds (then
  `PoolBusy`, 503). When a worker comes free it goes to the waiting request whose client has
  the fewest queries running, then the one whose client used the workers least lately
  (worker-seconds, halved every `USAGE_HALF_LIFE` seconds), oldest first: cheap queries go
  before those of a client whose queries run long.
- **A worker kept for light clients.** A *heavy* client (one with a long query running, or
  that used more than `slow_after` worker-seconds lately) gets a worker only while more
  than `reserve` are idle (1 with two workers or more): the last worker is always there for
  everyone else.
- **Per-client cap.** A client (an address, see kg.server.app) may have at most
  `per_client` requests running or waiting; the next one is refused at once (429).
- **Long queries step aside.** A query still running after `slow_after` seconds is *long*:
  its worker's CPU priority drops to the lowest (nice 19), so cheap queries on the other
  workers keep the cores, and it may go on until the time limit. At most `max_slow` long
  queries run at once, and at most `client_slow` per client: a query that would exceed
  either is stopped there (503 or 429, with Retry-After), so long queries never hold every
  worker. A worker whose priority was lowered is replaced once its query ends (an
  unprivileged process cannot raise it again).

Workers never outlive the server: the pool kills them on close, and on Linux each worker
asks the kernel for SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG). That is
why one long-lived thread of the pool starts every worker, the first ones and the
replacements alike. Workers also give up the network (kg.server.sandbox); `network_note`
says why they could not, when they could not.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from kg.server.worker import NO_STORE, Answer, Job

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


class PoolRefused(PoolError):
    """A sharing rule refused the query; `status` is 429 (this client's share) or 503."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class WorkerCrashed(PoolError):
    pass


class WorkerStartError(PoolError):
    pass


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    niced: bool = False


@dataclass(eq=False)
class _Ticket:
    client: str
    seq: int
    worker: _Worker | None = None
    event: threading.Event = field(default_factory=threading.Event)


USAGE_HALF_LIFE = 10.0  # seconds: how fast a client's past use of the workers is forgotten


@dataclass
class PoolStats:
    jobs: int = 0
    timeouts: int = 0
    crashes: int = 0
    restarts: int = 0
    slow: int = 0  # queries that ran past slow_after
    stopped_slow: int = 0  # ... and were stopped there by the long-query limits
    refused: int = 0  # requests over a client's cap


def default_workers() -> int:
    """Worker processes for this machine: two per core, at least 4, at most 16. More workers
    than cores is what keeps a cheap query from queueing behind long ones (those run at the
    lowest CPU priority); an idle worker costs about 15 MB."""
    return min(16, max(4, 2 * (os.cpu_count() or 1)))


class WorkerPool:
    def __init__(
        self,
        store_path: Path | None,
        size: int = 2,
        *,
        start_timeout: float = 60.0,
        slow_after: float | None = None,
        max_slow: int | None = None,
        client_slow: int = 1,
        per_client: int | None = None,
    ) -> None:
        """`store_path` None: checker workers (no store, `Job.check_only` jobs). `slow_after`
        None: no long-query rules (every query may run to its time limit at full priority)."""
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.store_path = NO_STORE if store_path is None else str(store_path)
        self.size = size
        self.start_timeout = start_timeout
        self.slow_after = slow_after
        self.max_slow = max(1, size // 2) if max_slow is None else max_slow
        self.client_slow = client_slow
        self.per_client = per_client
        self.reserve = 0 if size < 2 else 1
        self.heavy_usage = slow_after if slow_after is not None else float("inf")
        self.stats = PoolStats()
        self.network_note: str | None = None  # why workers could not give up the network
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._waiting: list[_Ticket] = []
        self._seq = itertools.count()
        self._running: Counter[str] = Counter()  # per client: queries holding a worker
        self._queued: Counter[str] = Counter()  # per client: requests waiting for one
        self._slow: Counter[str] = Counter()  # per client: long queries running
        self._usage: dict[str, tuple[float, float]] = {}  # client: (worker-seconds, when)
        self._workers: set[_Worker] = set()
        self._closed = False
        self._spawn_requests: queue.Queue[int | None] = queue.Queue()
        self._first_ready: queue.Queue[BaseException | None] = queue.Queue()
        self._spawner = threading.Thread(
            target=self._spawn_loop, name="kg-worker-spawner", daemon=True
        )
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

    def run(self, job: Job, timeout: float, wait: float | None = None, client: str = "") -> Answer:
        """Run `job` on a worker; raise QueryTimeout past `timeout` seconds, PoolBusy when no
        worker came free within `wait` seconds, PoolRefused when a sharing rule says no."""
        patience = timeout if wait is None else wait
        w = self._acquire(client, patience)
        healthy = False
        slow = False
        started = time.monotonic()
        try:
            w.conn.send(job)
            first = timeout if self.slow_after is None else min(timeout, self.slow_after)
            if not w.conn.poll(first):
                if first >= timeout:
                    self._count("timeouts")
                    raise QueryTimeout(timeout)
                self._become_slow(w, client)
                slow = True
                if not w.conn.poll(timeout - first):
                    self._count("timeouts")
                    raise QueryTimeout(timeout)
            answer: Answer = w.conn.recv()
            healthy = True
            self._count("jobs")
            return answer
        except (EOFError, OSError) as exc:
            self._count("crashes")
            raise WorkerCrashed(f"the query worker died while running the query ({exc!r})") from exc
        finally:
            self._release(w, client, healthy, slow, time.monotonic() - started)

    def _acquire(self, client: str, patience: float) -> _Worker:
        with self._lock:
            if self._closed:
                raise PoolError("the worker pool is closed")
            held = self._running[client] + self._queued[client]
            if self.per_client is not None and held >= self.per_client:
                self.stats.refused += 1
                raise PoolRefused(
                    f"this client already has {held} queries running or waiting, the most "
                    f"this endpoint takes from one client: wait for an answer first",
                    429,
                )
            ticket = _Ticket(client, next(self._seq))
            self._waiting.append(ticket)
            self._queued[client] += 1
            self._dispatch()
        if ticket.worker is None:
            ticket.event.wait(patience)
        with self._lock:
            if ticket.worker is None:  # still waiting: give up (a worker may come just after)
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                    self._drop(self._queued, client)
                if self._closed:
                    raise PoolError("the worker pool is closed")
                raise PoolBusy(patience)
            return ticket.worker

    def _dispatch(self) -> None:
        """Hand idle workers to waiting requests (lock held): fewest-running client first,
        then least used lately, then oldest; a heavy client only while more than `reserve`
        workers are idle."""
        while self._idle and self._waiting:
            now = time.monotonic()
            order = sorted(
                self._waiting,
                key=lambda t: (self._running[t.client], self._used(t.client, now), t.seq),
            )
            ticket = next(
                (
                    t
                    for t in order
                    if len(self._idle) > self.reserve or not self._heavy(t.client, now)
                ),
                None,
            )
            if ticket is None:
                return
            self._waiting.remove(ticket)
            self._drop(self._queued, ticket.client)
            self._running[ticket.client] += 1
            ticket.worker = self._idle.pop()
            ticket.event.set()

    def _used(self, client: str, now: float) -> float:
        """The client's worker-seconds, halved every USAGE_HALF_LIFE seconds (lock held)."""
        seconds, when = self._usage.get(client, (0.0, now))
        return seconds * 0.5 ** ((now - when) / USAGE_HALF_LIFE)

    def _heavy(self, client: str, now: float) -> bool:
        return self._slow[client] > 0 or self._used(client, now) >= self.heavy_usage

    def _charge(self, client: str, seconds: float) -> None:
        now = time.monotonic()
        self._usage[client] = (self._used(client, now) + seconds, now)
        if len(self._usage) > 10_000:  # forget clients whose use has faded
            for name in [c for c in self._usage if self._used(c, now) < 0.01]:
                del self._usage[name]

    def _become_slow(self, w: _Worker, client: str) -> None:
        """The query on `w` passed slow_after: let it go on at the lowest CPU priority, or
        stop it (PoolRefused) when the long-query limits are reached."""
        with self._lock:
            self.stats.slow += 1
            refusal = None
            if self._slow[client] >= self.client_slow:
                refusal = PoolRefused(
                    f"stopped after {self.slow_after:g} s: this client already has "
                    f"{self._slow[client]} long-running quer"
                    f"{'y' if self._slow[client] == 1 else 'ies'}, the most this endpoint runs "
                    "for one client at a time; wait for it, then retry",
                    429,
                )
            elif sum(self._slow.values()) >= self.max_slow:
                refusal = PoolRefused(
                    f"stopped after {self.slow_after:g} s: {self.max_slow} long-running "
                    "queries already run, the most this endpoint runs at once; retry later "
                    "(or ask for less: a LIMIT, a narrower pattern)",
                    503,
                )
            if refusal is not None:
                self.stats.stopped_slow += 1
                raise refusal
            self._slow[client] += 1
        w.niced = True
        try:
            os.setpriority(os.PRIO_PROCESS, w.process.pid, 19)
        except (OSError, AttributeError) as exc:  # gone already, or not a POSIX system
            log.debug("could not lower the priority of worker %d: %s", w.process.pid, exc)

    def _release(self, w: _Worker, client: str, healthy: bool, slow: bool, seconds: float) -> None:
        with self._lock:
            self._drop(self._running, client)
            self._charge(client, seconds)
            if slow:
                self._drop(self._slow, client)
            keep = healthy and not w.niced and not self._closed
            if keep:
                self._idle.append(w)
                self._dispatch()
        if not keep:
            self._kill(w)
            if not self._closed:
                self._spawn_requests.put(1)  # 1: a replacement

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    @staticmethod
    def _drop(counter: Counter[str], client: str) -> None:
        counter[client] -= 1
        if counter[client] <= 0:
            del counter[client]

    def idle_workers(self) -> int:
        with self._lock:
            return len(self._idle)

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
                with self._lock:
                    if self._closed:
                        closed = True
                    else:
                        closed = False
                        error = None
                        if request:
                            self.stats.restarts += 1
                        self._idle.append(w)
                        self._dispatch()
                if closed:
                    self._kill(w)
                    return
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
                [
                    sys.executable,
                    "-m",
                    "kg.server.worker",
                    str(child.fileno()),
                    self.store_path,
                    str(os.getpid()),
                ],
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
        if message and self.network_note is None:
            self.network_note = str(message)
            log.warning(
                "query workers can still reach the network (%s): only the query "
                "check keeps SERVICE out (docs/security.md)",
                message,
            )

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
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
        for ticket in waiting:  # nobody is coming: let them give up now
            ticket.event.set()
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
    "PoolRefused",
    "PoolStats",
    "QueryTimeout",
    "WorkerCrashed",
    "WorkerPool",
    "WorkerStartError",
    "default_workers",
]
