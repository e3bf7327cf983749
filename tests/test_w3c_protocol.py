"""The W3C SPARQL 1.1 Protocol tests (vendored under tests/w3c/) against a running `kg serve`,
every expectation of the manifest checked (tests/w3c_protocol.py), and the table of results
in docs/sparql-endpoint.md kept in step with a run against `kg serve` and `oxigraph
serve-read-only`."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from w3c_protocol import (
    Expectation,
    Outcome,
    ProtocolTest,
    Target,
    build_store,
    check_result,
    kg_serve,
    load_manifest,
    oxigraph_serve,
    run_all,
    run_test,
    table,
)

TESTS = load_manifest()
DOC = Path(__file__).resolve().parent.parent / "docs" / "sparql-endpoint.md"
BEGIN, END = "<!-- w3c-protocol-table -->", "<!-- /w3c-protocol-table -->"


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    store = build_store(TESTS, tmp_path_factory.mktemp("w3c") / "store")
    with kg_serve(store) as target:
        yield target


def test_the_manifest_is_read_whole() -> None:
    names = [t.name for t in TESTS]
    assert len(names) == 34 and len(set(names)) == 34
    kinds = {t.kind for t in TESTS}
    assert kinds == {"query", "update", "bad-request"}
    ask = next(t for t in TESTS if t.name == "query_dataset_full")
    assert ask.requests[0].expect == Expectation(frozenset({2, 3}), "boolean", True)
    assert len(ask.graphs) == 3 and all(path.is_file() for path, _label in ask.graphs)
    utf16 = next(t for t in TESTS if t.name == "bad_query_non_utf8").requests[0]
    assert utf16.body == "ASK {}".encode("utf-16")
    assert len(next(t for t in TESTS if t.name == "update_base_uri").requests) == 2


@pytest.mark.slow
@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(kg: Target, test: ProtocolTest) -> None:
    outcome = run_test(test, kg)
    assert outcome.passed, outcome.detail


@pytest.mark.parametrize(
    ("expect", "media", "body", "problem"),
    [
        (
            Expectation(frozenset({2}), "boolean", True),
            "application/sparql-results+json",
            b'{"head":{},"boolean":false}',
            "the answer is false",
        ),
        (
            Expectation(frozenset({2}), "boolean"),
            "application/sparql-results+json",
            b'{"head":{"vars":["x"]},"results":{"bindings":[]}}',
            "expected a boolean",
        ),
        (
            Expectation(frozenset({2}), "tabular"),
            "application/sparql-results+json",
            b'{"head":{},"boolean":true}',
            "expected a table",
        ),
        (
            Expectation(frozenset({2}), "RDF"),
            "application/sparql-results+json",
            b"{}",
            "not an RDF format",
        ),
        (Expectation(frozenset({2}), "RDF"), "text/turtle", b"<a> <b", "not"),
        (
            Expectation(frozenset({2}), "boolean"),
            "text/plain",
            b"true",
            "not a SPARQL results format",
        ),
    ],
)
def test_the_runner_checks_what_the_manifest_expects(
    expect: Expectation, media: str, body: bytes, problem: str
) -> None:
    found = check_result(expect, media, body)
    assert found is not None and problem in found


@pytest.mark.skipif(
    shutil.which("oxigraph") is None and not Path(sys.executable).with_name("oxigraph").exists(),
    reason="the oxigraph command (test extra) is not installed",
)
def test_the_documented_table_is_current(kg: Target, tmp_path: Path) -> None:
    results: dict[str, list[Outcome]] = {kg.name: run_all(TESTS, kg)}
    with oxigraph_serve(build_store(TESTS, tmp_path / "oxigraph")) as target:
        results[target.name] = run_all(TESTS, target)
    text = DOC.read_text(encoding="utf-8")
    documented = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    assert documented == table(TESTS, results).strip(), (
        "docs/sparql-endpoint.md: re-run `python tests/w3c_protocol.py` and paste its table"
    )
