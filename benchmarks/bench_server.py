"""Load test of `kg serve` on loopback: throughput and latency under concurrent clients, and
whether a query that times out stalls the others.

    python benchmarks/bench_server.py [--store build/store] [--clients 20] [--duration 30]
        [--timeout 2] [--workers 2] [--append benchmarks/RESULTS.md]

Starts `kg serve --port 0` as a subprocess (so the clients below do not share its GIL) and
runs two phases, each bounded by --duration seconds:

A. --clients threads, each with one keep-alive connection, send named queries (POST form,
   parameters bound with $param_…) round-robin, as fast as answers come back.
B. the same, plus one client that keeps sending a query that never ends on its own (a
   4-way cartesian product); the server stops it after --timeout seconds (HTTP 504) and
   replaces the worker it ran on. Its 504s are expected; any other non-200 is an error.

C. (--light-duration seconds) the same clients send light look-ups instead: one resource's
   triples by IRI, and ASK. This measures the endpoint itself (HTTP, worker hand-off,
   serialisation) rather than the cost of evaluating the named queries.

The mix of A and B is every named query whose single run through the server takes under
--max-single seconds (slower ones are listed with their time, not load-tested). Traffic goes
to 127.0.0.1 only, and the whole run stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from kg.query import NamedQuery, list_queries  # noqa: E402
from server_support import REQUIRED, bindings_for  # noqa: E402

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ID = "https://w3id.org/humanitarian-kg/id/"
LIGHT = [
    ("lookup", urlencode({"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
                          "$s": f"<{ID}{path}>"}).encode())
    for path in ("org/msf", "org/alima", "place/ml-5", "sector/health", "indicator/consultations")
] + [("ask", urlencode({"query": "ASK { ?s a ?c }"}).encode())]
ACCEPT = "application/sparql-results+json"


@dataclass
class Sample:
    query: str
    seconds: float
    status: int


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    slow: list[Sample] = field(default_factory=list)

    def ok(self) -> list[float]:
        return [s.seconds for s in self.samples if s.status == 200]

    def errors(self) -> int:
        return sum(1 for s in self.samples if s.status != 200)


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    kg = Path(sys.executable).with_name("kg")
    command = [str(kg)] if kg.exists() else [sys.executable, "-c", "from kg.cli import app; app()"]
    command += ["serve", "--port", "0", "--store", str(args.store), "--timeout", str(args.timeout),
                "--workers", str(args.workers), "--quiet"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"serving (http://[0-9.:]+)/", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, match.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("kg serve did not start")


def body_for(query: NamedQuery) -> bytes:
    params = {p.name: REQUIRED[p.name] for p in query.params if p.required}
    return urlencode({"query": query.text, **bindings_for(query, params)}).encode()


def send(conn: http.client.HTTPConnection, body: bytes) -> int:
    conn.request("POST", "/sparql", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT})
    response = conn.getresponse()
    response.read()
    return response.status


def single_runs(host: str, queries: list[NamedQuery]) -> dict[str, tuple[float, int]]:
    conn = http.client.HTTPConnection(host, timeout=120)
    out = {}
    for q in queries:
        started = time.perf_counter()
        status = send(conn, body_for(q))
        out[q.name] = (time.perf_counter() - started, status)
    conn.close()
    return out


def run_phase(name: str, host: str, mix: list[tuple[str, bytes]], clients: int,
              duration: float, slow_client: bool) -> Phase:
    phase = Phase(name)
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, timeout=120)
        i = index
        local: list[Sample] = []
        while time.monotonic() < stop:
            query, body = mix[i % len(mix)]
            i += 1
            started = time.perf_counter()
            try:
                status = send(conn, body)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, timeout=120)
            local.append(Sample(query, time.perf_counter() - started, status))
        conn.close()
        with lock:
            phase.samples.extend(local)

    def slow() -> None:
        conn = http.client.HTTPConnection(host, timeout=120)
        body = urlencode({"query": SLOW}).encode()
        while time.monotonic() < stop:
            started = time.perf_counter()
            status = send(conn, body)
            phase.slow.append(Sample("slow", time.perf_counter() - started, status))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    if slow_client:
        threads.append(threading.Thread(target=slow))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - started
    return phase


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(args: argparse.Namespace, singles: dict[str, tuple[float, int]], mix: list[str],
           phases: list[Phase], quads: int) -> str:
    import pyoxigraph

    lines = [
        f"### kg serve under load ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"`python benchmarks/bench_server.py --clients {args.clients} --duration "
        f"{args.duration:g} --timeout {args.timeout:g} --workers {args.workers}` on "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pyoxigraph "
        f"{pyoxigraph.__version__ if hasattr(pyoxigraph, '__version__') else '?'}; store "
        f"`{args.store}` ({quads:,} quads). Server (`kg serve`, {args.workers} query worker "
        "processes) and clients (threads with keep-alive connections) share the machine; "
        f"load average before/after: {args.load_before:.1f} / {os.getloadavg()[0]:.1f} "
        "(other work on the machine included).",
        "",
        "Single run of each named query through the server (seconds):",
        "",
        "| query | seconds | status | in the load mix |",
        "|---|---:|---:|---|",
    ]
    for name, (seconds, status) in singles.items():
        lines.append(f"| {name} | {seconds:.3f} | {status} | {'yes' if name in mix else 'no'} |")
    lines += [
        "",
        "| phase | clients | seconds | requests | throughput (req/s) | p50 (ms) | p99 (ms) | "
        "max (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ph in phases:
        ok = ph.ok()
        lines.append(
            f"| {ph.name} | {args.clients}{' + 1 slow' if ph.slow else ''} | {ph.seconds:.1f} | "
            f"{len(ph.samples)} | {len(ph.samples) / ph.seconds:.1f} | {pct(ok, 50) * 1000:.1f} | "
            f"{pct(ok, 99) * 1000:.1f} | {max(ok, default=0) * 1000:.1f} | {ph.errors()} |"
        )
    for ph in phases:
        if ph.slow:
            statuses = ", ".join(map(str, sorted({s.status for s in ph.slow})))
            mean = statistics.mean(s.seconds for s in ph.slow)
            lines += [
                "",
                f"Slow query in phase {ph.name}: sent {len(ph.slow)} times, answered with HTTP "
                f"{statuses} after {mean:.2f} s "
                f"on average (limit {args.timeout:g} s); each time the server killed the worker "
                "running it and started a new one while the other worker(s) kept answering.",
            ]
    per_query: dict[str, list[float]] = {}
    for s in phases[0].samples:
        if s.status == 200:
            per_query.setdefault(s.query, []).append(s.seconds)
    lines += ["", "Phase A by query: " + ", ".join(
        f"{q} p50 {pct(v, 50) * 1000:.0f} ms" for q, v in sorted(per_query.items())) + "."]
    return "\n".join(lines) + "\n"


def count_quads(host: str) -> int:
    conn = http.client.HTTPConnection(host, timeout=120)
    body = urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}).encode()
    conn.request("POST", "/sparql", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT})
    data = json.loads(conn.getresponse().read())
    conn.close()
    return int(data["results"]["bindings"][0]["n"]["value"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "build" / "store")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase (max 120)")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-single", type=float, default=0.5)
    parser.add_argument("--light-duration", type=float, default=10.0)
    parser.add_argument("--append", type=Path, help="append the results to this Markdown file")
    args = parser.parse_args(argv)
    args.duration = min(args.duration, 120.0)
    args.light_duration = min(args.light_duration, 120.0)
    args.clients = min(args.clients, 200)
    args.load_before = os.getloadavg()[0]
    proc, url = start_server(args)
    host = url.removeprefix("http://")
    try:
        queries = list_queries()
        singles = single_runs(host, queries)
        mix_names = [n for n, (sec, status) in singles.items()
                     if status == 200 and sec < args.max_single]
        mix = [(q.name, body_for(q)) for q in queries if q.name in mix_names]
        quads = count_quads(host)
        phases = [
            run_phase("A: named queries", host, mix, args.clients, args.duration, False),
            run_phase("B: same + 1 query that times out", host, mix, args.clients,
                      args.duration, True),
        ]
        if args.light_duration > 0:
            phases.append(run_phase("C: light look-ups", host, LIGHT, args.clients,
                                    args.light_duration, False))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = report(args, singles, mix_names, phases, quads)
    print(text)
    if args.append:
        with args.append.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 1 if any(ph.errors() for ph in phases) else 0


if __name__ == "__main__":
    raise SystemExit(main())
