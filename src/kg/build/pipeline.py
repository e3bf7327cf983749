"""One report through the pipeline: read, extract, emit, validate, infer, serialise.

`kg.build.run` runs `ReportPipeline.process` for every new or changed report, in worker processes
(each builds one pipeline: lexicons, shapes and reference index are prepared once per worker).
The result, `ReportOutput`, is plain data (N-Quads bytes and counts), cheap to send between
processes and to cache under `build/cache/`.

Validation, per report (`ReportValidator`). A report's graph is validated on its own with a
small context: the `rdfs:subClassOf` triples of the ontology and the *interface* of every
reference entity it names — what shapes read of it when they check a report's nodes:
`rdf:type` (for `sh:class`), `skos:inScheme` (for `sh:node` of qualifier and role concepts) and
`hkg:figureKind` (the indicator-kind rule). Only the shapes that can target the report's own
nodes run, and results are kept for those nodes (figures, spans, selectors, presences,
partnerships, the report). Reference entities are validated once, on their own (`kg validate
--reference`); the organisations a report mints (`hkg:newlyDetected`, an IRI other reports may
mint too) are validated once on the union of every report's triples about them
(`validate_shared`). `tests/test_pipeline.py` checks that this gives, for a report's nodes,
exactly the results of validating the report merged with all the ontology and reference data,
at a fraction of the cost: merged with all of it, pySHACL also re-checks the reference data
(its vocabularies' duplicate-label rules over every concept…) for every report (0.8 s or more
a report, against 30–90 ms). pyshacl parses its SPARQL again on every run; `PreparedQueryGraph`
keeps the parsed queries of one pipeline (about 40% of a small report's validation time). The
shapes pySHACL gets have their property shapes hoisted to top-level shapes with their node
shape's targets (`hoist_property_shapes`: the same results, checked against pySHACL on the
original shapes by `tests/test_pipeline.py`), and one pySHACL `ShapesGraph` per shape selection
serves every call: together about 1.6× less validation time (docs/decisions/0002). The shapes
whose targets are SPARQL queries run only when Oxigraph finds a node for them (`TargetScreen`):
another 1.8× (docs/decisions/0003).

Inference, per report (`kg.reason.materialise.ReportReasoner`): the rules of `queries/inference/`
over the report's graph, the ontology and the reference entities it names with what they point to
(`ReferenceIndex.closure`: a place's ancestors, an indicator's sector…), less what the
reference data alone gives and what is stated. The store's inferred graph is what the reference
data gives plus the union of the reports' inferred triples, so one report can be replaced
without running the rules over the whole store.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from kg.emit import emit_report
from kg.extract import extract_report
from kg.extract.lexicons import Lexicons, default_lexicons
from kg.model import Extraction
from kg.namespaces import report_graph
from kg.reason.materialise import ReportReasoner
from kg.reports import ReportError, read_report, sidecar_path
from kg.store import oxigraph_triples
from kg.validate.engine import (
    Violation,
)
from kg.validate.per_report import (
    ReferenceIndex,
    ReportValidator,
    is_local,
    nt_triples,
    term_value,
)

__all__ = [
    "STAGES",
    "PreparedReference",
    "ReportOutput",
    "ReportPipeline",
    "extraction_warnings",
    "input_sha256",
    "parse_lines",
]


def input_sha256(path: Path) -> str:
    """Digest of what a report's graph is built from: its file name, text and sidecar bytes."""
    digest = hashlib.sha256(b"kg-report-input-1\0")
    digest.update(path.name.encode("utf-8") + b"\0")
    digest.update(path.read_bytes())
    side = sidecar_path(path)
    digest.update(b"\0sidecar\0")
    if side.is_file():
        digest.update(side.read_bytes())
    return digest.hexdigest()


# --- one report ---------------------------------------------------------------------------------

STAGES = ("read", "extract", "emit", "validate", "reason", "serialise")


@dataclass
class ReportOutput:
    """What one report gives: counts, N-Quads, and results; plain data (picklable)."""

    path: str
    input_sha: str
    report_id: str | None = None
    error: str | None = None
    facts: int = 0
    triples: int = 0
    nquads: bytes = b""  # the report's graph (sorted N-Quads, graph id:graph/report/{id})
    inferred: bytes = b""  # its inferred triples (sorted N-Triples)
    shared: bytes = b""  # its triples about IRIs other reports may mint too (N-Triples)
    violations: list[Violation] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage
    warnings: list[str] = field(default_factory=list)  # e.g. a publisher found on weak evidence

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PreparedReference:
    """What every pipeline derives from the ontology and reference data alone, as N-Triples:
    their triples for Oxigraph, in order and with `oxigraph_triples`' stable blank node labels,
    and what the inference rules give from them. Making it is 0.2–0.3 s of a new process (a
    one-report build takes about a second), so `kg.build.run` keeps it in its cache."""

    ontology: bytes
    reference: bytes
    inferred: bytes


class ReportPipeline:
    """Everything a worker needs to process reports, prepared once."""

    def __init__(
        self,
        lexicons: Lexicons | None = None,
        shapes: Graph | None = None,
        prepared: PreparedReference | None = None,
    ) -> None:
        """`prepared`: `self.prepared()` of an earlier pipeline with the same ontology,
        reference data and rules (kg.build.run keeps it in its cache, by fingerprint)."""
        self.lex = lexicons or default_lexicons()
        reference = self.lex.reference
        self.known = set(reference.organisations)
        inferred = None
        if prepared is None:
            self.ontology_triples = oxigraph_triples(reference.ontology)
            self.reference_triples = oxigraph_triples(reference.reference)
        else:
            self.ontology_triples = nt_triples(prepared.ontology)
            self.reference_triples = nt_triples(prepared.reference)
            inferred = set(nt_triples(prepared.inferred))
        self.index = ReferenceIndex(reference, self.ontology_triples + self.reference_triples)
        self.validator = ReportValidator(self.index, shapes)
        self.reasoner = ReportReasoner(self.ontology_triples, self.reference_triples, inferred)

    def prepared(self) -> PreparedReference:
        """What this pipeline derived from the ontology and reference data alone."""
        return PreparedReference(
            ontology="".join(f"{t} .\n" for t in self.ontology_triples).encode("utf-8"),
            reference="".join(f"{t} .\n" for t in self.reference_triples).encode("utf-8"),
            inferred=_sorted_lines(self.reasoner.reference_inferred),
        )

    def process(self, path: Path, input_sha: str = "") -> ReportOutput:
        """Read, extract, emit, validate and infer one report; errors are recorded, not raised."""
        out = ReportOutput(str(path), input_sha)
        clock = _Clock(out.seconds)
        try:
            with clock("read"):
                report = read_report(path)
            with clock("extract"):
                extraction = extract_report(report, self.lex)
            with clock("emit"):
                graph = emit_report(extraction, self.known)
        except ReportError as err:
            out.error = str(err)
            return out
        except Exception as exc:  # noqa: BLE001 - a loader bug: name the report, build the rest
            out.error = f"{path}: the loaders failed on this report ({type(exc).__name__}: {exc})"
            return out
        if extraction.publisher is None:  # nobody to credit the figures to: say so, build the rest
            out.error = (
                f"{path}: no publisher: the text never says who published it "
                "(give `publisher:` in a sidecar, see README 'Reports and sidecars')"
            )
            return out
        rid = report.meta.report_id
        out.report_id = rid
        out.warnings = extraction_warnings(extraction)
        out.facts = extraction.fact_count()
        out.triples = len(graph)
        local = {str(s) for s in graph.subjects() if is_local(str(s), rid)}
        with clock("serialise"):
            triples = nt_triples(graph.serialize(format="nt", encoding="utf-8"))
        with clock("validate"):
            out.violations = self.validator.validate(graph, keep=local, triples=triples)
        with clock("serialise"):
            name = ox.NamedNode(str(report_graph(rid)))
            out.nquads = _sorted_lines(
                ox.Quad(t.subject, t.predicate, t.object, name) for t in triples
            )
            out.shared = _sorted_lines(
                t for t in triples if not is_local(term_value(t.subject), rid)
            )
        with clock("reason"):
            context = self.index.closure(triples)
            out.inferred = _sorted_lines(self.reasoner.infer(triples, context))
        return out

    def inferred_for(self, triples: list[ox.Triple]) -> set[ox.Triple]:
        """A stored report graph's inferred triples (for the incremental update)."""
        return set(self.reasoner.infer(triples, self.index.closure(triples)))

    def validate_shared(self, data: bytes) -> list[Violation]:
        """Results for the minted organisations: the union of every report's triples about
        them (`ReportOutput.shared`), checked once."""
        if not data.strip():
            return []
        graph = Graph()
        graph.parse(data=data, format="nt")
        return self.validator.validate(graph)


def extraction_warnings(extraction: Extraction) -> list[str]:
    """What a user should check in a report's extraction: a publisher found on weak evidence,
    whose figures may be credited to the wrong organisation (no publisher at all fails the
    report instead)."""
    path = extraction.meta.path
    if extraction.publisher is None:
        return [f"{path}: no publisher found in the text (give `publisher:` in a sidecar)"]
    if extraction.publisher_confidence != "low":
        return []
    return [
        f"{path}: publisher {extraction.publisher.label!r} found on weak evidence "
        f"({'; '.join(extraction.publisher_evidence) or 'named only'}); check it or give "
        "`publisher:` in a sidecar"
    ]


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    def __call__(self, stage: str) -> _Timer:
        return _Timer(self.seconds, stage)


class _Timer:
    def __init__(self, seconds: dict[str, float], stage: str) -> None:
        self.seconds, self.stage = seconds, stage

    def __enter__(self) -> None:
        self.started = time.process_time()

    def __exit__(self, *_exc: object) -> None:
        self.seconds[self.stage] = self.seconds.get(self.stage, 0.0) + (
            time.process_time() - self.started
        )


def _sorted_lines(items: Iterable[ox.Quad | ox.Triple]) -> bytes:
    """Sorted, de-duplicated N-Triples / N-Quads lines (byte-identical for the same input)."""
    lines = sorted({f"{item} .\n" for item in items})
    return "".join(lines).encode("utf-8")


def parse_lines(data: bytes, quads: bool = False) -> Iterator[Any]:
    """Quads (N-Quads) or triples (N-Triples) back from `_sorted_lines` bytes."""
    if not data:
        return iter(())
    if quads:
        return iter(ox.parse(data, ox.RdfFormat.N_QUADS))
    return iter(nt_triples(data))
