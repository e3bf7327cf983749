"""The main job: read reports, extract, emit, validate, materialise inferences, load the store.

One report that cannot be read or extracted is named with its reason and the others still
build. A SHACL violation stops the build before the store is touched, so the previous store
stays usable; so does any failure while loading (see `kg.store.write_store`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.emit import emit_report, new_graph
from kg.extract import extract_report
from kg.extract.lexicons import default_lexicons
from kg.inference import materialise
from kg.model import Extraction
from kg.namespaces import GRAPH_ONTOLOGY, GRAPH_REFERENCE, report_graph
from kg.reports import ReportError, find_reports, read_report
from kg.store import StoreStats, write_store
from kg.validate import ValidationReport, validate_graph

Progress = Callable[[str, Path], None]


@dataclass
class ReportResult:
    path: Path
    report_id: str | None = None
    error: str | None = None
    facts: int = 0
    triples: int = 0
    extraction: Extraction | None = None


@dataclass
class BuildResult:
    reports: list[ReportResult] = field(default_factory=list)
    validation: ValidationReport | None = None
    store: StoreStats | None = None
    inferred: int = 0
    triples: int = 0

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.reports if r.error]

    @property
    def violations(self) -> int:
        return self.validation.count("Violation") if self.validation else 0

    @property
    def ok(self) -> bool:
        return not self.failed and self.violations == 0 and self.store is not None


def extract_graphs(
    paths: list[Path], progress: Progress | None = None
) -> tuple[list[ReportResult], dict[str, Graph]]:
    """Read, extract and emit every report; failures are recorded, not raised."""
    lex = default_lexicons()
    known = set(lex.reference.organisations)
    results: list[ReportResult] = []
    graphs: dict[str, Graph] = {}
    for path in find_reports(paths):
        if progress:
            progress("extract", path)
        result = ReportResult(path)
        results.append(result)
        try:
            report = read_report(path)
            if report.meta.report_id in graphs:
                raise ReportError(path, f"another report has the same id {report.meta.report_id!r}")
            extraction = extract_report(report, lex)
            graph = emit_report(extraction, known)
        except ReportError as err:
            result.error = str(err)
            continue
        result.report_id = report.meta.report_id
        result.extraction = extraction
        result.facts = extraction.fact_count()
        result.triples = len(graph)
        graphs[report.meta.report_id] = graph
    return results, graphs


def build(paths: list[Path], store_path: Path, progress: Progress | None = None) -> BuildResult:
    """Build the store at `store_path` from the reports under `paths`."""
    results, graphs = extract_graphs(paths, progress)
    outcome = BuildResult(reports=results)
    reference = default_lexicons().reference
    context = reference.ontology + reference.reference
    data = new_graph()
    for graph in graphs.values():
        data += graph
    if progress:
        progress("validate", Path("."))
    outcome.validation = validate_graph(data, context=context)
    if outcome.validation.count("Violation"):
        return outcome
    pairs: list[tuple[str, Graph]] = [
        (str(GRAPH_ONTOLOGY), reference.ontology),
        (str(GRAPH_REFERENCE), reference.reference),
    ]
    pairs += [(str(report_graph(rid)), graphs[rid]) for rid in sorted(graphs)]
    quads = list(_to_quads(pairs))
    if progress:
        progress("reason", Path("."))
    inferred = materialise(quads)
    outcome.inferred = len(inferred)
    if progress:
        progress("load", store_path)
    outcome.store = write_store(store_path, [*quads, *inferred])
    outcome.triples = outcome.store.quads
    return outcome


def _to_quads(pairs: list[tuple[str, Graph]]) -> list[ox.Quad]:
    out: list[ox.Quad] = []
    for iri, graph in pairs:
        name = ox.NamedNode(iri)
        data = graph.serialize(format="nt", encoding="utf-8")
        for triple in ox.parse(data, ox.RdfFormat.N_TRIPLES):
            out.append(ox.Quad(triple.subject, triple.predicate, triple.object, name))
    return out
