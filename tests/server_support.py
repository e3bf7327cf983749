"""Shared by tests/test_server*.py: the seed store, built once per test session, and a
`kg serve` server running in this process on a free loopback port."""

from __future__ import annotations

import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg.build.run import build
from kg.query.named import NamedQuery, QueryParam, list_queries
from kg.server.app import KGServer, ServerConfig, make_server

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Values for the parameters a named query needs before it can run at all.
REQUIRED = {"place": "Mopti", "country": "Mali"}

_seed: dict[str, Path] = {}


def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus (data/reports) built into a store once per session."""
    if "store" not in _seed:
        path = tmp_path_factory.mktemp("seed") / "store"
        result = build([ROOT / "data" / "reports"], path)
        assert result.store is not None, "the seed corpus did not build"
        _seed["store"] = path
    return _seed["store"]


@dataclass
class Running:
    server: KGServer
    url: str

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


@contextmanager
def running_server(store: Path | None, **options: object) -> Iterator[Running]:
    """A `kg serve` server in this process on a free loopback port (store None: give
    `endpoint=` among the options)."""
    config = ServerConfig(store=store, host="127.0.0.1", port=0, quiet=True, **options)  # type: ignore[arg-type]
    server = make_server(config)
    thread = threading.Thread(target=server.serve_forever, name="kg-serve-test", daemon=True)
    thread.start()
    try:
        yield Running(server, server.url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


def request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    """One HTTP request; error statuses are returned, not raised."""
    req = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
            return Response(
                resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
            )
    except urllib.error.HTTPError as exc:
        with exc:  # closes the connection (warnings fail the tests)
            return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def runnable_queries() -> list[NamedQuery]:
    return list_queries()


def params_for(query: NamedQuery) -> dict[str, str]:
    return {p.name: REQUIRED[p.name] for p in query.params if p.required}


def nt_term(param: QueryParam, value: str) -> str:
    """The N-Triples term a `$param_x` request parameter carries: what run_query binds."""
    literal = param.term(value)
    text = literal.value.replace("\\", "\\\\").replace('"', '\\"')
    if literal.datatype.value == XSD + "string":
        return f'"{text}"'
    return f'"{text}"^^<{literal.datatype.value}>'


def bindings_for(query: NamedQuery, params: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in params.items():
        param = query.param(name)
        assert param is not None
        out["$param_" + name] = nt_term(param, value)
    return out


@contextmanager
def kg_serve_process(store: Path, *options: str) -> Iterator[str]:
    """`kg serve` as users run it, in its own process, on a free loopback port: its URL."""
    import re
    import sys

    command = [
        sys.executable,
        "-m",
        "kg",
        "serve",
        "--port",
        "0",
        "--store",
        str(store),
        "--quiet",
        *options,
    ]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"serving (http://[0-9.:]+)/", line)
        assert match, f"kg serve did not start: {line}"
        yield match.group(1)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:  # type: ignore[type-arg]
    """End a server process: ask, wait, then kill; close its pipes (warnings fail the tests)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
