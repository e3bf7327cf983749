"""`kg serve`'s bounds on connections, time and sharing (issue 20), and its HTTP-level answers.

Each client below that should count as a different client connects from its own loopback
address (127.0.0.N: Linux routes all of 127/8 to the loopback interface), as distinct hosts
would. Speed is the benchmark's business (benchmarks/bench_server.py); these tests check that
things are *answered*, and within generous times.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from server_support import Running, request, running_server, seed_store

# Never ends on its own: a cartesian product of every triple with every triple, thrice.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LIGHT = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


def host_port(server: Running) -> tuple[str, int]:
    address = server.server.server_address
    return str(address[0]), int(address[1])


def sparql(
    server: Running,
    query: str,
    source: str = "127.0.0.1",
    timeout: float = 60,
    accept: str = "application/sparql-results+json",
) -> tuple[int, str, dict[str, str]]:
    """One query from the loopback address `source`: (status, body, headers)."""
    host, port = host_port(server)
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(
            "POST",
            "/sparql",
            urlencode({"query": query}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def raw(server: Running, data: bytes, wait: float = 10.0) -> bytes:
    """Send `data` as it is and read until the server closes (or `wait` passes)."""
    sock = socket.create_connection(host_port(server), timeout=wait)
    try:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        sock.close()


# --- HTTP-level answers: never HTML, always the same headers ---------------------------------


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[Running]:
    with running_server(store_path, timeout=10.0, workers=2) as running:
        yield running


@pytest.mark.parametrize("method", ["FOO", "TRACE", "CONNECT", "PUT", "DELETE", "PATCH"])
def test_unknown_methods_are_405_in_plain_text(server: Running, method: str) -> None:
    """Issue 20: a method http.server did not know was its HTML 501."""
    resp = raw(
        server,
        f"{method} /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    head, _, body = resp.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405"), head
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert b"Allow: GET, HEAD, POST, OPTIONS" in head
    assert b"Access-Control-Allow-Origin: *" in head
    assert b"<html" not in body.lower()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GARBAGE\r\n\r\n", b"400"),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n",
            b"431",
        ),
        (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", b"505"),
    ],
)
def test_server_level_errors_are_plain_text_with_the_usual_headers(
    server: Running, data: bytes, status: bytes
) -> None:
    resp = raw(server, data)
    head, _, body = resp.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status, head
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert b"Access-Control-Allow-Origin: *" in head
    assert b"X-Content-Type-Options: nosniff" in head
    assert b"<" not in body, body


def test_413_is_plain_text_with_cors(server: Running) -> None:
    resp = request(
        server.sparql,
        "POST",
        b"ASK {}" + b" " * 1_100_000,
        {"Content-Type": "application/sparql-query"},
    )
    assert resp.status == 413 and resp.media_type == "text/plain"
    assert resp.headers["access-control-allow-origin"] == "*"


def test_utf16_body_is_still_415(server: Running) -> None:
    resp = request(
        server.sparql,
        "POST",
        "ASK {}".encode("utf-16"),
        {"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert resp.status == 415 and "UTF-8" in resp.text


# --- CORS as a setting --------------------------------------------------------------------------


@pytest.mark.slow
def test_cors_none_and_a_list_of_origins(store_path: Path) -> None:
    with running_server(store_path, workers=1, cors="none") as closed:
        resp = request(closed.sparql + "?query=ASK%7B%7D", headers={"Origin": "https://a.example"})
        assert resp.status == 200 and "access-control-allow-origin" not in resp.headers
        options = request(closed.sparql, "OPTIONS", None, {"Origin": "https://a.example"})
        assert options.status == 204 and "access-control-allow-methods" not in options.headers
    with running_server(
        store_path, workers=1, cors="https://a.example, https://b.example:8443"
    ) as listed:
        ok = request(listed.sparql + "?query=ASK%7B%7D", headers={"Origin": "https://a.example"})
        assert ok.headers["access-control-allow-origin"] == "https://a.example"
        assert "Origin" in ok.headers["vary"]
        other = request(
            listed.sparql + "?query=ASK%7B%7D", headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_cors_setting_is_checked() -> None:
    from kg.server.app import parse_cors

    assert parse_cors("*") == ("*",)
    assert parse_cors("none") is None
    with pytest.raises(ValueError, match="not an origin"):
        parse_cors("a.example")


# --- connections: idle and header deadlines, a cap ------------------------------------------------


@pytest.fixture(scope="module")
def tight(store_path: Path) -> Iterator[Running]:
    """Short deadlines and a small connection cap."""
    with running_server(
        store_path,
        workers=1,
        idle_timeout=0.5,
        header_timeout=1.0,
        request_timeout=2.0,
        max_connections=6,
        client_connections=6,
    ) as running:
        yield running


def _wait_connections(server: Running, count: int, within: float = 10.0) -> int:
    deadline = time.monotonic() + within
    while server.server.open_connections() != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.server.open_connections()


def test_an_idle_connection_is_closed(tight: Running) -> None:
    """Issue 20: idle connections were never timed out, each holding a thread."""
    sock = socket.create_connection(host_port(tight), timeout=10)
    started = time.monotonic()
    assert sock.recv(1) == b""  # closed by the server, nothing sent
    assert time.monotonic() - started < 5
    sock.close()
    assert _wait_connections(tight, 0) == 0


@pytest.mark.slow
def test_a_slow_header_gets_408_and_the_connection_ends(tight: Running) -> None:
    sock = socket.create_connection(host_port(tight), timeout=10)
    started = time.monotonic()
    answer = b""
    try:
        for byte in b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
            sock.sendall(bytes([byte]))  # a byte every 0.1 s: each read is quick, the whole not
            time.sleep(0.1)
            if time.monotonic() - started > 5:
                break
    except OSError:
        pass
    try:
        answer = sock.recv(4096)
    except OSError:
        pass
    sock.close()
    assert time.monotonic() - started < 6
    assert answer.startswith(b"HTTP/1.1 408") and b"text/plain" in answer


def test_connections_beyond_the_cap_get_503_without_a_thread(tight: Running) -> None:
    before = threading.active_count()
    held = [socket.create_connection(host_port(tight), timeout=10) for _ in range(6)]
    try:
        assert _wait_connections(tight, 6) == 6
        extra = raw(tight, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", wait=5)
        assert extra.startswith(b"HTTP/1.1 503") and b"too many open connections" in extra
        assert threading.active_count() <= before + 6
    finally:
        for sock in held:
            sock.close()
    assert _wait_connections(tight, 0) == 0
    assert request(tight.sparql + "?query=ASK%7B%7D").status == 200


# --- sharing the workers: runaway queries do not starve cheap ones --------------------------------


@pytest.fixture(scope="module")
def shared(store_path: Path) -> Iterator[Running]:
    with running_server(
        store_path, workers=4, timeout=4.0, slow_after=0.3, queue_timeout=10.0, per_client=3
    ) as running:
        yield running


@pytest.mark.slow
def test_a_light_query_is_answered_while_runaway_clients_run(shared: Running) -> None:
    """Issue 20: two to four runaway queries starved the 2-worker pool (an ASK waited ~20 s)."""
    stop = time.monotonic() + 6
    statuses: list[int] = []

    def runaway(n: int) -> None:
        while time.monotonic() < stop:
            status, _body, _headers = sparql(shared, SLOW, source=f"127.0.2.{n}")
            statuses.append(status)

    threads = [threading.Thread(target=runaway, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # every runaway has started (and the long ones have been sorted out)
    answered = []
    for n in range(5):
        started = time.monotonic()
        status, body, _headers = sparql(shared, LIGHT, source=f"127.0.3.{n + 1}", timeout=30)
        answered.append((status, time.monotonic() - started))
        assert status == 200 and '"boolean":true' in body
    for t in threads:
        t.join(timeout=30)
    assert all(seconds < 5 for _status, seconds in answered), answered
    assert set(statuses) <= {504, 503, 429}, statuses  # stopped, by time or by the rules
    assert shared.server.pool is not None and shared.server.pool.stats.slow > 0


@pytest.mark.slow
def test_one_client_has_one_long_query_at_a_time(shared: Running) -> None:
    results: list[tuple[int, str]] = []

    def run() -> None:
        status, body, _headers = sparql(shared, SLOW, source="127.0.4.1")
        results.append((status, body))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(status for status, _body in results)
    assert statuses == [429, 504], results
    assert "long-running" in next(body for status, body in results if status == 429)


@pytest.mark.slow
def test_requests_beyond_a_clients_cap_are_429(shared: Running) -> None:
    results: list[tuple[int, dict[str, str]]] = []

    def run() -> None:
        status, _body, headers = sparql(shared, SLOW, source="127.0.5.1")
        results.append((status, headers))

    threads = [threading.Thread(target=run) for _ in range(4)]  # the cap is 3
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(timeout=30)
    refused = [headers for status, headers in results if status == 429]
    assert refused and all("retry-after" in h for h in refused)
    assert shared.server.pool is not None and shared.server.pool.stats.refused >= 1


@pytest.mark.slow
def test_the_queue_has_a_deadline(store_path: Path) -> None:
    """A request that cannot get a worker within --queue-timeout is 503 with Retry-After."""
    with running_server(store_path, workers=1, timeout=5.0, queue_timeout=0.5) as one:
        slow = threading.Thread(target=sparql, args=(one, SLOW, "127.0.6.1"))
        slow.start()
        time.sleep(0.5)
        started = time.monotonic()
        status, body, headers = sparql(one, LIGHT, source="127.0.6.2")
        assert status == 503 and "busy" in body and headers.get("retry-after") == "1"
        assert time.monotonic() - started < 4
        slow.join(timeout=30)


@pytest.mark.slow
def test_behind_a_proxy_the_client_header_names_the_client(store_path: Path) -> None:
    """With --client-header, the per-client cap applies per forwarded address."""
    with running_server(
        store_path,
        workers=3,
        timeout=2.0,
        per_client=1,
        slow_after=None,
        client_header="X-Forwarded-For",
    ) as proxied:
        host, port = host_port(proxied)
        results: dict[str, int] = {}

        def run(name: str, forwarded: str) -> None:
            conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request(
                "POST",
                "/sparql",
                urlencode({"query": SLOW}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": forwarded},
            )
            results[name] = conn.getresponse().status
            conn.close()

        threads = [
            threading.Thread(target=run, args=args)
            for args in (
                ("a", "203.0.113.1"),
                ("b", "198.51.100.7, 203.0.113.2"),
                ("a-again", "203.0.113.1"),
            )
        ]
        for t in threads:
            t.start()
            time.sleep(0.1)
        for t in threads:
            t.join(timeout=30)
        assert results["a"] == 504 and results["b"] == 504  # two clients: both ran
        assert results["a-again"] == 429  # the same client, over its cap of 1
