"""`kg.pipeline`: per-report validation and inference give what the whole-graph runs give."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.emit import emit_report
from kg.extract import extract_report
from kg.inference import materialise
from kg.namespaces import GRAPH_ONTOLOGY, GRAPH_REFERENCE, HKG, ID
from kg.pipeline import ReportPipeline, is_local, parse_lines
from kg.reports import find_reports, read_report
from kg.store import oxigraph_triples
from kg.validate import Violation, validate_graph

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"


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
