"""`kg validate` for people and CI: formats, severities, exit codes, files, store, reference data.

The library parts are tested on the shape fixtures (tests/fixtures/shapes); the command on a few
valid fixtures that also conform with the repository's ontology and reference data as context.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import HKG, ID, SH
from kg.validate.engine import (
    ContextValidator,
    Violation,
    combine_reports,
    load_rdf,
    shapes_graph,
    validate_graph,
    validate_graphs,
)
from kg.validate.run import (
    ValidationRun,
    render,
    render_junit,
    validate_files,
    validate_report_graphs,
)

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
VALID_WITH_CONTEXT = ["figures.ttl", "presence-partnership.ttl"]
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))

runner = CliRunner()


def kg(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own output, not untrusted data


def _graph(path: Path) -> Graph:
    graph = Graph()
    graph += load_rdf(path).triples((None, None, None))  # type: ignore[arg-type]
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return shapes_graph()


@pytest.fixture
def warning_only(tmp_path: Path) -> Path:
    """A valid figures graph with a percentage above 100: one Warning, no Violation."""
    graph = _graph(FIXTURES / "valid" / "figures.ttl")
    graph.set((ID["context/full"], HKG.value, Literal(Decimal("150"))))
    path = tmp_path / "warning.ttl"
    graph.serialize(path, format="turtle")
    return path


# --- the command: exit codes and formats ------------------------------------------------------


@pytest.mark.slow
def test_valid_files_exit_0_and_render_in_every_format() -> None:
    files = [FIXTURES / "valid" / name for name in VALID_WITH_CONTEXT]
    code, out, _ = kg("validate", *map(str, files))
    assert code == 0, out
    assert out.splitlines()[-1].startswith("conforms: 0 violation(s)")
    run = validate_files(files, context=Graph())
    data = json.loads(render(run, "json"))
    assert data["ok"] and data["conforms"] and data["counts"]["Violation"] == 0
    assert [s["source"] for s in data["sources"]] == [str(f) for f in files]
    report = Graph().parse(data=render(run, "turtle"), format="turtle")
    [node] = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(True)
    assert render(run, "text") == run.summary() + "\n"
    with pytest.raises(ValueError, match="unknown format"):
        render(run, "yaml")


@pytest.mark.slow
def test_invalid_file_exits_1_and_names_node_property_and_expectation() -> None:
    path = FIXTURES / "invalid" / "presence.ttl"
    code, out, _ = kg("validate", str(path))
    assert code == 1
    assert out.startswith(f"{path}:\n")
    line = next(x for x in out.splitlines() if "presence/no-org" in x)
    assert line.strip().startswith("Violation: id:presence/no-org hkg:organisation: ")
    assert "must be exactly one" in line
    assert out.splitlines()[-1].startswith("does not conform: ")


@pytest.mark.slow
def test_junit_output_parses_and_carries_the_failures(tmp_path: Path) -> None:
    good = FIXTURES / "valid" / "spans.ttl"
    bad = FIXTURES / "invalid" / "presence.ttl"
    code, out, err = kg("validate", "--format", "junit", str(good), str(bad))
    assert code == 1
    assert "does not conform" in err  # the summary goes to stderr, the XML alone to stdout
    root = _xml(out)
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {str(good), str(bad)}
    passing = suites[str(good)]
    assert passing.get("failures") == "0"
    assert [case.get("name") for case in passing.findall("testcase")] == ["conforms"]
    failing = suites[str(bad)]
    cases = failing.findall("testcase")
    assert int(failing.get("tests")) == len(cases) >= 10
    assert int(failing.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(root.get("failures")) == int(failing.get("failures"))
    assert int(root.get("tests")) == len(cases) + 1
    by_name = {case.get("name"): case for case in cases}
    case = by_name["id:presence/no-org hkgsh:Presence-organisation"]
    assert case.get("classname") == str(bad)
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "sh:Violation"
    assert "hkg:organisation must be exactly one" in failure.get("message", "")
    assert "Violation: id:presence/no-org hkg:organisation" in (failure.text or "")


@pytest.mark.slow
def test_warnings_fail_only_with_strict(warning_only: Path) -> None:
    code, out, _ = kg("validate", str(warning_only))
    assert code == 0, out
    assert "Warning: " in out and "1 warning(s)" in out
    code, out, _ = kg("validate", "--strict", str(warning_only))
    assert code == 1
    assert "(--strict: warnings fail)" in out
    lenient = validate_files([warning_only], context=Graph())
    [case] = _xml(render_junit(lenient)).iter("testcase")
    assert case.find("failure") is None and "Warning" in (case.findtext("system-out") or "")
    strict = validate_files([warning_only], context=Graph(), strict=True)
    assert (lenient.exit_code, strict.exit_code) == (0, 1)
    [case] = _xml(render_junit(strict)).iter("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "sh:Warning"


@pytest.mark.slow
def test_unusable_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    code, _, err = kg("validate", str(bad))
    assert code == 2 and f"{bad}:2" in err
    code, _, err = kg("validate", str(tmp_path / "missing.ttl"))
    assert code == 2 and "cannot read file" in err
    code, _, err = kg("validate", "--format", "xml", str(bad))
    assert code == 2 and "unknown format" in err
    code, _, err = kg("validate", "--store", str(tmp_path / "no-store"))
    assert code == 2 and "kg build" in err
    big = FIXTURES / "valid" / "spans.ttl"
    code, _, err = kg("validate", "--max-bytes", "100", str(big))
    assert code == 2 and "limit of 100" in err
    lol = tmp_path / "lol.rdf"
    lol.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "b">]>\n<r/>\n')
    code, _, err = kg("validate", str(lol))
    assert code == 2 and "DOCTYPE" in err


def _results(run: ValidationRun) -> list[tuple[str, str | None]]:
    return sorted((v.focus_node, v.shape) for v in run.report.violations)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["nt", "json-ld", "trig", "xml"])
def test_every_rdf_format_gives_the_same_results(tmp_path: Path, fmt: str) -> None:
    source = FIXTURES / "invalid" / "presence.ttl"
    suffix = {"nt": ".nt", "json-ld": ".jsonld", "trig": ".trig", "xml": ".rdf"}[fmt]
    path = tmp_path / f"presence{suffix}"
    graph = _graph(source)
    if fmt == "trig":
        dataset = Dataset()
        dataset.graph(ID["graph/report/contributed"]).__iadd__(graph)
        dataset.serialize(path, format="trig")
    else:
        graph.serialize(path, format=fmt, encoding="utf-8")
    expected = validate_files([source], context=Graph())
    run = validate_files([path], context=Graph())
    assert run.exit_code == 1
    assert _results(run) == _results(expected)
    assert list(run.sources) == [str(path)]


@pytest.mark.slow
def test_the_command_reads_json_ld(tmp_path: Path) -> None:
    path = tmp_path / "presence.jsonld"
    _graph(FIXTURES / "invalid" / "presence.ttl").serialize(path, format="json-ld")
    code, out, _ = kg("validate", "--format", "json", str(path))
    assert code == 1
    data = json.loads(out)
    assert data["sources"][0]["source"] == str(path)
    assert any(r["focus_node"].endswith("/presence/no-org") for r in data["sources"][0]["results"])


@pytest.mark.slow
def test_reference_data_conforms() -> None:
    code, out, _ = kg("validate", "--reference")
    assert code == 0, out
    assert "in 1 source(s)" in out


# --- the library --------------------------------------------------------------------------------


def test_results_are_attributed_to_the_file_that_states_the_node(tmp_path: Path) -> None:
    context = Graph()
    good = FIXTURES / "valid" / "spans.ttl"
    bad = FIXTURES / "invalid" / "presence.ttl"
    run = validate_files([good, bad], context=context)
    assert run.sources[str(good)] == []
    assert run.sources[str(bad)] and all(
        "/presence/" in v.focus_node for v in run.sources[str(bad)]
    )
    assert run.exit_code == 1


def test_only_data_nodes_skips_the_context_but_not_blank_nodes(shapes: Graph) -> None:
    context = _graph(FIXTURES / "invalid" / "presence.ttl")  # a broken "context"
    data = _graph(FIXTURES / "valid" / "spans.ttl")
    assert validate_graph(data, context=context, shapes=shapes, only_data_nodes=True).conforms
    assert not validate_graph(data, context=context, shapes=shapes).conforms
    blank = Graph()
    blank += data
    figure = BNode()
    blank.add((figure, RDF.type, HKG.Outcome))
    report = validate_graph(blank, context=Graph(), shapes=shapes, only_data_nodes=True)
    assert any(v.focus_node.startswith("_:") for v in report.violations)
    empty = validate_graph(Graph(), context=context, shapes=shapes, only_data_nodes=True)
    assert empty.conforms and empty.violations == []


def test_context_validator_leaves_its_inputs_alone(shapes: Graph) -> None:
    context = _graph(FIXTURES / "valid" / "report-minimal.ttl")
    before = Graph()
    before += context
    validator = ContextValidator(context, shapes)
    for path in INVALID[:3]:
        validator.validate(_graph(path), only_data_nodes=True)
    assert isomorphic(before, context)
    assert validator.validate(Graph(), only_data_nodes=True).conforms
    again = validator.validate(_graph(FIXTURES / "valid" / "spans.ttl"), only_data_nodes=True)
    assert again.conforms, again.text()


@pytest.mark.slow
def test_parallel_validation_matches_sequential(shapes: Graph) -> None:
    graphs = {path.stem: _graph(path) for path in INVALID[:4]}
    sequential = validate_graphs(graphs, context=Graph(), shapes=shapes, workers=1)
    parallel = validate_graphs(graphs, context=Graph(), shapes=shapes, workers=2)
    assert list(parallel) == list(graphs)

    def key(violations: list[Violation]) -> list[tuple[str, ...]]:
        return sorted(  # blank nodes are renamed on the way to the workers: compare without
            (
                v.severity,
                "_:" if v.focus_node.startswith("_:") else v.focus_node,
                v.path or "",
                v.shape or "",
                v.message if "_:" not in v.message else "",
            )
            for v in violations
        )

    for name in graphs:
        assert key(parallel[name].violations) == key(sequential[name].violations)
        assert parallel[name].conforms == sequential[name].conforms
    combined = combine_reports(parallel)
    assert len(combined.violations) == sum(len(r.violations) for r in parallel.values())
    [node] = combined.report_graph.subjects(RDF.type, SH.ValidationReport)
    assert len(list(combined.report_graph.objects(node, SH.result))) == len(combined.violations)


_LOCAL = tuple(
    str(ID[kind + "/"])
    for kind in ("report", "outcome", "context", "span", "presence", "partnership")
)


def _report_graph(path: Path, suffix: str = "") -> Graph:
    """A fixture's triples about report-local nodes (what a report graph states), with those
    nodes renamed by `suffix` so that several copies share no subject."""

    def rename(node: Node) -> Node:
        text = str(node)
        if isinstance(node, URIRef) and text.startswith(_LOCAL):
            return URIRef(text + suffix)
        return node

    graph = Graph()
    for s, p, o in _graph(path):
        if str(s).startswith(_LOCAL):
            graph.add((rename(s), p, rename(o)))
    return graph


@pytest.mark.slow
def test_report_graphs_in_batches_and_processes_give_the_same_results() -> None:
    valid = FIXTURES / "valid" / "report-graph.ttl"
    broken = _report_graph(valid, "-b")
    outcome = next(broken.subjects(RDF.type, HKG.Outcome))
    broken.remove((outcome, HKG.value, None))
    graphs = {
        "report": _report_graph(valid),
        "broken": broken,
        "presence": _report_graph(FIXTURES / "invalid" / "presence.ttl", "-p"),
    }
    alone = validate_report_graphs(graphs, workers=1, batch=1)
    assert list(alone) == list(graphs)
    assert alone["report"].conforms, alone["report"].text()
    assert [(v.focus_node, v.path) for v in alone["broken"].violations] == [
        (str(outcome), str(HKG.value))
    ]
    assert not alone["presence"].conforms
    together = validate_report_graphs(graphs, workers=1, batch=3)
    spread = validate_report_graphs(graphs, workers=2, batch=1)
    for name in graphs:
        assert together[name].violations == alone[name].violations, name
        assert spread[name].violations == alone[name].violations
        [node] = together[name].report_graph.subjects(RDF.type, SH.ValidationReport)
        results = list(together[name].report_graph.objects(node, SH.result))
        assert len(results) == len(alone[name].violations)


def test_junit_of_a_conforming_run_has_one_passing_case_per_source() -> None:
    run = validate_files([FIXTURES / "valid" / "spans.ttl"], context=Graph())
    root = _xml(render_junit(run))
    assert root.get("tests") == "1" and root.get("failures") == "0"


# --- every shape has a failing fixture -----------------------------------------------------------

_OWN_CONSTRAINTS = (
    "nodeKind",
    "not",
    "or",
    "and",
    "xone",
    "sparql",
    "class",
    "in",
    "datatype",
    "minCount",
    "maxCount",
    "pattern",
    "hasValue",
    "node",
    "qualifiedValueShape",
    "minLength",
    "maxLength",
    "uniqueLang",
    "lessThan",
    "lessThanOrEquals",
    "minInclusive",
    "maxInclusive",
    "languageIn",
    "closed",
    "equals",
    "disjoint",
)


def _expected_shapes() -> set[str]:
    from test_shapes import expectations  # the fixtures' own "# expect:" convention

    return {shape for path in INVALID for _, _, shape in expectations(path)}


def test_every_shape_in_shapes_ttl_has_a_failing_fixture(shapes: Graph) -> None:
    """Each named shape of shapes/*.ttl produces a result in some invalid fixture.

    A shape with constraints of its own must be expected itself; a shape that only groups
    property shapes must have one of them expected; a shape used only through sh:node must
    have the property shape that uses it expected.
    """
    expected = _expected_shapes()
    named = {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
    assert len(named) > 50
    missing = []
    for shape in sorted(named):
        own = any(shapes.value(shape, SH[c]) is not None for c in _OWN_CONSTRAINTS)
        targeted = any(shapes.value(shape, p) is not None for p in (SH.targetClass, SH.target))
        properties = {str(p) for p in shapes.objects(shape, SH.property)}
        users = {str(u) for u in shapes.subjects(SH.node, shape)}
        if str(shape) in expected:
            continue
        if not own and properties & expected:
            continue
        if not targeted and users and users <= expected:
            continue  # used through sh:node: its results surface on the shape that uses it
        missing.append(str(shape))
    assert missing == []


def test_validate_graph_labels_values(shapes: Graph) -> None:
    graph = _graph(FIXTURES / "valid" / "report-minimal.ttl")
    report = next(graph.subjects(RDF.type, HKG.Report))
    graph.remove((report, RDFS.label, None))
    result = validate_graph(graph, context=Graph(), shapes=shapes, only_data_nodes=True)
    assert [v.path for v in result.violations] == [str(RDFS.label)]
