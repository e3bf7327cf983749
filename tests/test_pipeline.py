"""`kg.build.pipeline`: per-report validation and inference give what the whole-graph runs give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kg.build.pipeline import ReportPipeline, parse_lines
from kg.emit import emit_report
from kg.extract import extract_report
from kg.namespaces import GRAPH_ONTOLOGY, GRAPH_REFERENCE, HKG, ID, SH
from kg.reason.materialise import materialise
from kg.reports import find_reports, read_report
from kg.store import oxigraph_triples
from kg.validate.engine import Violation, load_rdf, shapes_graph, validate_graph
from kg.validate.engine import _path_text as path_text  # noqa: PLC2701 - results as text
from kg.validate.engine import _report as validation_report  # noqa: PLC2701 - the typed report
from kg.validate.per_report import TargetScreen, hoist_property_shapes, is_local

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"
FIXTURE_REPORTS = ROOT / "tests" / "fixtures" / "reports"
SHAPE_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "shapes").glob("*/*.ttl"))


@pytest.fixture(scope="module")
def pipeline() -> ReportPipeline:
    return ReportPipeline()


@pytest.fixture(scope="module")
def graphs(pipeline: ReportPipeline) -> dict[str, Graph]:
    out = {}
    for path in find_reports([SEEDS]):
        extraction = extract_report(read_report(path), pipeline.lex)
        out[extraction.meta.report_id] = emit_report(extraction, pipeline.known)
    return out


def mutant(graph: Graph) -> Graph:
    """A seed graph with mistakes of the kinds the shapes look for, each on its own figure."""
    g = Graph()
    for t in graph:
        g.add(t)
    figures = sorted({s for s, _, _ in graph.triples((None, HKG.value, None))})
    one, two, three, four = figures[:4]
    g.set((one, HKG.qualifier, ID["sector/health"]))  # not a qualifier (sh:node)
    g.add((two, HKG.place, ID["indicator/consultations"]))  # not a place (sh:class)
    g.set((three, HKG.value, Literal("-1", datatype=XSD.decimal)))
    g.set((three, HKG.year, Literal("1800", datatype=XSD.gYear)))
    g.remove((three, HKG.evidence, None))
    g.add((four, RDF.type, HKG.ContextFigure))  # an outcome and a context figure
    report = ID["report/msf-mali-2023"]
    g.set((report, URIRef("http://purl.org/dc/terms/publisher"), ID["place/ml"]))
    return g


def key(violations: list[Violation]) -> list[tuple[str, str, str | None, str]]:
    return sorted((v.severity, v.focus_node, v.path, v.message) for v in violations)


@pytest.mark.slow
def test_per_report_validation_equals_validation_with_all_reference_data(
    pipeline: ReportPipeline, graphs: dict[str, Graph]
) -> None:
    reference = pipeline.lex.reference
    context = reference.ontology + reference.reference
    rid = "msf-mali-2023"
    for name, graph in (("seed", graphs[rid]), ("mutant", mutant(graphs[rid]))):
        local = {str(s) for s in graph.subjects() if is_local(str(s), rid)}
        fast = pipeline.validator.validate(graph, keep=local)
        slow = [
            v for v in validate_graph(graph, context=context).violations if v.focus_node in local
        ]
        assert key(fast) == key(slow), name
        if name == "mutant":  # every mistake is found
            assert len({v.focus_node for v in fast if v.severity == "Violation"}) == 5


@pytest.mark.slow
def test_per_report_inference_equals_materialising_everything(
    pipeline: ReportPipeline,
) -> None:
    outputs = [pipeline.process(path) for path in find_reports([SEEDS])]
    assert all(o.ok and not o.violations for o in outputs)
    quads: list[ox.Quad] = []
    for name, triples in (
        (GRAPH_ONTOLOGY, pipeline.ontology_triples),
        (GRAPH_REFERENCE, pipeline.reference_triples),
    ):
        quads += [
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(str(name))) for t in triples
        ]
    for out in outputs:
        quads += list(parse_lines(out.nquads, quads=True))
    everything = {ox.Triple(q.subject, q.predicate, q.object) for q in materialise(quads)}
    per_report = set(pipeline.reasoner.reference_inferred)
    for out in outputs:
        per_report |= set(parse_lines(out.inferred))
    assert per_report == everything


def test_blank_nodes_get_the_same_labels_every_time(pipeline: ReportPipeline) -> None:
    ontology = pipeline.lex.reference.ontology
    again = Graph()
    again.parse(data=ontology.serialize(format="turtle"), format="turtle")  # new bnode ids
    first = sorted(map(str, oxigraph_triples(ontology)))
    assert any(line.startswith("_:") for line in first)
    assert first == sorted(map(str, oxigraph_triples(again)))


def test_local_iris() -> None:
    assert is_local(str(ID["outcome/r-1/10-20"]), "r-1")
    assert is_local(str(ID["span/r-1/10-20"]) + "#quote", "r-1")
    assert is_local(str(ID["report/r-1"]), "r-1")
    assert not is_local(str(ID["outcome/r-10/10-20"]), "r-1")
    assert not is_local(str(ID["org/r-1"]), "r-1")  # organisations are shared
    assert not is_local("http://example.org/outcome/r-1/1-2", "r-1")


# --- the validator's shapes graph gives exactly what pySHACL gives on the project's shapes ----

Result = tuple[str, str | None, str, str, str, str | None, frozenset[str]]


def results(report: Graph, focus: set[Node]) -> set[Result]:
    """(focus, path, constraint component, source shape, severity, value, messages) of every
    top-level result about a node in `focus`."""
    out: set[Result] = set()
    for top in report.subjects(RDF.type, SH.ValidationReport):
        for result in report.objects(top, SH.result):
            node = report.value(result, SH.focusNode)
            if node not in focus:
                continue
            path = report.value(result, SH.resultPath)
            value = report.value(result, SH.value)
            out.add(
                (
                    node.n3(),
                    path_text(report, path) if path is not None else None,
                    str(report.value(result, SH.sourceConstraintComponent)),
                    str(report.value(result, SH.sourceShape)),
                    str(report.value(result, SH.resultSeverity)),
                    value.n3() if value is not None else None,
                    frozenset(map(str, report.objects(result, SH.resultMessage))),
                )
            )
    return out


def plain_pyshacl(data: list[Any], shapes: Graph) -> Graph:
    """pySHACL on the data with the project's shapes as they are (a private copy of both)."""
    graph, shapes_copy = Graph(), Graph()
    graph.addN((s, p, o, graph) for s, p, o in data)
    shapes_copy.addN((s, p, o, shapes_copy) for s, p, o in shapes)
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes_copy,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
    )
    assert isinstance(report, Graph)
    return report


def broken(graph: Graph, report_id: str) -> list[Graph]:
    """Deterministically damaged copies of a report graph: every 5th / 7th / 11th triple about
    a local node dropped, objects of the same predicate swapped between nodes, literals
    retyped and blank nodes put in place of IRIs: mistakes of every kind, on every shape."""
    triples = sorted((t for t in graph if is_local(str(t[0]), report_id)), key=str)
    out: list[Graph] = []
    for step in (5, 7, 11):
        g = Graph()
        g += graph
        for t in triples[step // 2 :: step]:
            g.remove(t)
        out.append(g)
    g = Graph()
    g += graph
    by_predicate: dict[Any, list[tuple[Any, Any, Any]]] = {}
    for t in triples:
        by_predicate.setdefault(t[1], []).append(t)
    for same in by_predicate.values():
        for (s1, p, o1), (s2, _, o2) in zip(same[::3], same[1::3], strict=False):
            g.remove((s1, p, o1))
            g.remove((s2, p, o2))
            g.add((s1, p, o2))
            g.add((s2, p, o1))
    out.append(g)
    g = Graph()
    g += graph
    for number, (s, p, o) in enumerate(triples):
        if number % 4 == 0 and isinstance(o, Literal):
            g.remove((s, p, o))
            g.add((s, p, Literal(str(o))))  # a plain string where a number or a year was
        elif number % 9 == 0 and p != RDF.type and isinstance(o, URIRef):
            g.remove((s, p, o))
            g.add((s, p, BNode(f"b{number}")))
    out.append(g)
    return out


@pytest.fixture(scope="module")
def original_shapes() -> Graph:
    return shapes_graph()


def cases(pipeline: ReportPipeline) -> list[tuple[str, Graph, set[Node]]]:
    """(name, graph, nodes whose results count): the shape fixtures (every subject counts),
    the seed and fixture reports, a mutant and broken copies of each report (local nodes)."""
    out: list[tuple[str, Graph, set[Node]]] = []
    for path in SHAPE_FIXTURES:
        graph = Graph()
        graph += load_rdf(path).triples((None, None, None))  # type: ignore[arg-type]
        out.append((f"{path.parent.name}/{path.name}", graph, set(graph.subjects())))
    for path in find_reports([SEEDS, FIXTURE_REPORTS]):
        extraction = extract_report(read_report(path), pipeline.lex)
        rid = extraction.meta.report_id
        graph = emit_report(extraction, pipeline.known)
        variants = [graph, *broken(graph, rid)]
        if rid == "msf-mali-2023":
            variants.append(mutant(graph))
        for number, variant in enumerate(variants):
            local = {s for s in variant.subjects() if is_local(str(s), rid)}
            out.append((f"{rid}#{number}", variant, local))
    return out


@pytest.mark.slow
def test_validator_gives_what_pyshacl_gives_on_the_original_shapes(
    pipeline: ReportPipeline, original_shapes: Graph
) -> None:
    validator = pipeline.validator
    found = 0
    screened: set[str] = set()
    for name, graph, focus in cases(pipeline):
        data = [*graph, *pipeline.index.context(graph)]
        types = frozenset(o for s, o in graph.subject_objects(RDF.type) if s in focus)
        ours = validator.run(data, validator.shapes_for(types)).report_graph
        plain = plain_pyshacl(data, original_shapes)
        expected = results(plain, focus)
        assert results(ours, focus) == expected, name
        keep = {str(s) for s in focus}  # as `ReportPipeline.process` calls it
        wanted = {v for v in validation_report(plain).violations if v.focus_node in keep}
        assert set(validator.validate(graph, keep=keep)) == wanted, name
        found += len(expected)
        screened |= {v.shape for v in wanted} & validator.screen.shapes
    assert found > 200  # the broken copies do break shapes
    assert len(screened) >= 3  # and shapes with SPARQL targets, which the screen must keep


EX = "http://example.org/"


def example_shapes(turtle: str) -> Graph:
    """A shapes graph from Turtle using the prefixes sh: and ex: (EX)."""
    shapes = Graph()
    prefixes = f"@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <{EX}> .\n"
    shapes.parse(format="turtle", data=prefixes + turtle)
    return shapes


def test_hoisting_moves_only_property_shapes_reached_one_way() -> None:
    ex = EX
    shapes = example_shapes(
        """
        ex:A a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:a , ex:shared .
        ex:B a sh:NodeShape ; sh:targetClass ex:D ; sh:property ex:shared , ex:b .
        ex:Nested a sh:NodeShape ; sh:targetClass ex:E ; sh:property ex:n .
        ex:User a sh:NodeShape ; sh:targetClass ex:F ; sh:node ex:Nested .
        ex:Off a sh:NodeShape ; sh:targetClass ex:G ; sh:deactivated true ; sh:property ex:o .
        ex:a sh:path ex:p ; sh:minCount 1 .
        ex:b sh:path ex:p ; sh:targetNode ex:x ; sh:minCount 1 .
        ex:shared sh:path ex:q ; sh:minCount 1 .
        ex:n sh:path ex:p ; sh:minCount 1 .
        ex:o sh:path ex:p ; sh:minCount 1 .
        """
    )
    hoisted = hoist_property_shapes(shapes)
    a, c = URIRef(ex + "a"), URIRef(ex + "C")
    assert (a, SH.targetClass, c) in hoisted
    assert (URIRef(ex + "A"), SH.property, a) not in hoisted
    kept = {  # shared, has its own target, nested node shape, deactivated node shape
        (ex + "A", ex + "shared"),
        (ex + "B", ex + "shared"),
        (ex + "B", ex + "b"),
        (ex + "Nested", ex + "n"),
        (ex + "Off", ex + "o"),
    }
    assert {(str(s), str(o)) for s, o in hoisted.subject_objects(SH.property)} == kept
    assert len(shapes) == len(set(shapes))  # the given graph is not modified
    assert (a, SH.targetClass, c) not in shapes


def test_target_screen_drops_only_shapes_whose_sparql_targets_select_nothing() -> None:
    ex = EX
    shapes = example_shapes(
        f"""
        ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "{ex}" ] .
        ex:Bad a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:prefixes ex:prefixes ;
            sh:select "SELECT ?this WHERE {{ ?this ex:bad true }}" ] .
        ex:Kind a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:prefixes ex:prefixes ;
            sh:select "SELECT ?this WHERE {{ ?this a ?c . ?c ex:sub ex:Top }}" ] .
        ex:Mixed a sh:NodeShape ; sh:targetClass ex:C ; sh:target [ a sh:SPARQLTarget ;
            sh:select "SELECT ?this WHERE {{ ?this <{ex}bad> true }}" ] .
        ex:Broken a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ;
            sh:select "SELECT ?this WHERE {{ ?this" ] .
        ex:Plain a sh:NodeShape ; sh:targetClass ex:C .
        """
    )
    screen = TargetScreen(shapes)
    assert screen.shapes == {ex + "Bad", ex + "Kind", ex + "Broken"}  # not Mixed, not Plain
    assert screen.queries[ex + "Bad"][0].startswith(f"PREFIX ex: <{ex}>\n")
    names = [ex + n for n in ("Bad", "Kind", "Mixed", "Broken", "Plain")]
    node, c = ox.NamedNode(ex + "n"), ox.NamedNode(ex + "D")
    typed = [ox.Triple(node, ox.NamedNode(str(RDF.type)), c)]
    # nothing selected: Bad and Kind go; a query Oxigraph cannot run stays for pySHACL
    assert screen.keep(names, typed, []) == [ex + "Mixed", ex + "Broken", ex + "Plain"]
    bad = [ox.Triple(node, ox.NamedNode(ex + "bad"), ox.Literal(True))]
    assert ex + "Bad" in screen.keep(names, bad, [])
    # the context (reference triples, as rdflib gives them) is part of the data
    context = [(URIRef(ex + "D"), URIRef(ex + "sub"), URIRef(ex + "Top"))]
    assert ex + "Kind" in screen.keep(names, typed, context)
    assert ex + "Kind" not in screen.keep(names, bad, context)
