"""A validation run (`kg validate`): what was validated, the results per source, the verdict.

Three kinds of run, each returning a `ValidationRun`:

- `validate_files`: RDF files a contributor wants to add (Turtle, N-Triples, N-Quads, TriG,
  JSON-LD, RDF/XML), merged and validated together with the ontology and reference data as
  context (so one file may refer to another's resources); each result is attributed to the
  file(s) whose triples have its focus node as subject.
- `validate_store`: each data graph of the store on its own, in the same context, in parallel.
- `validate_reference`: the ontology and reference data themselves.

A run is rendered for people (`text`), for tools (`turtle`: the SHACL validation report graph),
for scripts (`json`) and for CI systems (`junit`: JUnit XML). Severities: a Violation fails the
run; a Warning fails it only when `strict`; an Info never does. `exit_code` is 0 when the run
passes and 1 when it fails; unusable input (exit 2) is raised as an exception before any run.
"""

from __future__ import annotations

import json
import multiprocessing
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.namespaces import SH
from kg.validate.engine import (
    DEFAULT_MAX_BYTES,
    SEVERITIES,
    ContextValidator,
    ValidationReport,
    Violation,
    combine_reports,
    compact,
    default_workers,
    load_rdf,
    shapes_graph,
    store_data_graphs,
    validate_graph,
)

__all__ = [
    "FORMATS",
    "REFERENCE_SOURCE",
    "ValidationRun",
    "merge_runs",
    "render",
    "validate_files",
    "BATCH",
    "validate_reference",
    "validate_report_graphs",
    "validate_store",
]

FORMATS = ("text", "turtle", "json", "junit")
REFERENCE_SOURCE = "reference data"
CONTEXT_SOURCE = "context"


@dataclass
class ValidationRun:
    """Results per source (a file, a store graph, the reference data) and the combined report."""

    report: ValidationReport
    sources: dict[str, list[Violation]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    strict: bool = False

    def count(self, severity: str = "Violation") -> int:
        return self.report.count(severity)

    @property
    def ok(self) -> bool:
        """No violation, and no warning either when strict."""
        return self.count("Violation") == 0 and not (self.strict and self.count("Warning"))

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def fails(self, violation: Violation) -> bool:
        return violation.severity == "Violation" or (
            self.strict and violation.severity == "Warning"
        )

    def summary(self) -> str:
        verdict = "conforms" if self.ok else "does not conform"
        if self.strict and self.count("Violation") == 0 and self.count("Warning"):
            verdict += " (--strict: warnings fail)"
        return (
            f"{verdict}: {self.count('Violation')} violation(s), {self.count('Warning')} "
            f"warning(s), {self.count('Info')} info(s) in {len(self.sources)} source(s)"
        )


# --- runs -----------------------------------------------------------------------------------


def validate_files(
    paths: Iterable[Path],
    *,
    context: Graph,
    shapes: Graph | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    strict: bool = False,
) -> ValidationRun:
    """Validate RDF files together in `context`. Raises `RDFParseError` for an unusable file."""
    started = time.perf_counter()
    loaded: dict[str, set[Node]] = {}
    data = Graph()
    for path in paths:
        dataset = load_rdf(Path(path), max_bytes=max_bytes)
        subjects: set[Node] = set()
        for s, p, o in dataset.triples((None, None, None)):
            data.add((s, p, o))
            subjects.add(s)
        loaded[str(path)] = subjects
    report = ContextValidator(context, shapes).validate(data, only_data_nodes=True)
    sources: dict[str, list[Violation]] = {name: [] for name in loaded}
    for violation in report.violations:
        owners = [
            name for name, subjects in loaded.items() if _node(violation.focus_node) in subjects
        ]
        for owner in owners or [CONTEXT_SOURCE]:
            sources.setdefault(owner, []).append(violation)
    seconds = time.perf_counter() - started
    return ValidationRun(
        report=report,
        sources=sources,
        seconds={name: seconds / max(1, len(loaded)) for name in sources},
        strict=strict,
    )


def validate_store(
    store_path: Path,
    *,
    shapes: Graph | None = None,
    workers: int | None = None,
    strict: bool = False,
) -> ValidationRun:
    """Validate each data graph of the store on its own (`validate_report_graphs`).

    Raises `StoreError` when there is no store.
    """
    from kg.store import open_store  # imported here: validating files needs no store

    graphs = store_data_graphs(open_store(store_path))
    started = time.perf_counter()
    reports = validate_report_graphs(graphs, shapes=shapes, workers=workers)
    per_graph = (time.perf_counter() - started) / max(1, len(graphs))
    return ValidationRun(
        report=combine_reports(reports),
        sources={name: report.violations for name, report in reports.items()},
        seconds=dict.fromkeys(reports, per_graph),
        strict=strict,
    )


BATCH = 20
"""Report graphs validated per pySHACL run by `validate_report_graphs` (a run costs about
0.25 s before it looks at any data: batching spreads that over several graphs)."""


PARALLEL_BATCHES = 4
"""From this many batches on, `validate_report_graphs` uses worker processes by default (a
worker takes about 2 s to start and load the reference data)."""


def validate_report_graphs(
    graphs: Mapping[str, Graph],
    *,
    shapes: Graph | None = None,
    workers: int | None = None,
    batch: int = BATCH,
) -> dict[str, ValidationReport]:
    """Validate report graphs, each with the small context its nodes need, in parallel.

    The context of a graph is what `kg.validate.per_report.ReferenceIndex` gives (the ontology's
    rdfs:subClassOf triples and the rdf:type, skos:inScheme and hkg:figureKind of every
    reference entity the graph names), and only the graph's own subjects are focus nodes: for
    a report's nodes this gives the results of validating it merged with the whole ontology and
    reference data, for a fraction of the cost. The reference data itself is validated once, by
    `validate_reference`. The shapes allow this because they only relate a report's nodes to
    each other and to reference entities, never to another report's nodes.

    Graphs are validated `batch` at a time (their union, with the union of their contexts; each
    result goes to the graph(s) stating its focus node), so the fixed cost of a pySHACL run is
    shared; `batch=1` validates every graph strictly on its own. With more than one worker
    (default: `default_workers`), batches are spread over processes that each load the
    reference data once. Reports come back in the order of `graphs`.
    """
    names = list(graphs)
    batches = [names[i : i + max(1, batch)] for i in range(0, len(names), max(1, batch))]
    count = (
        workers
        if workers is not None
        else (default_workers(len(names)) if len(batches) >= PARALLEL_BATCHES else 1)
    )
    out: dict[str, ValidationReport] = {}
    if count <= 1 or len(batches) <= 1:
        checker = _ReportChecker(shapes)
        for group in batches:
            out.update(checker.check({name: graphs[name] for name in group}))
        return {name: out[name] for name in names}
    items = [[(name, _nt(graphs[name])) for name in group] for group in batches]
    shapes_data = _nt(shapes) if shapes is not None else b""
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),  # no fork: the caller may hold threads
        initializer=_init_checker,
        initargs=(shapes_data,),
    ) as pool:
        for results in pool.map(_check_in_worker, items):
            for name, violations, data in results:
                graph = Graph()
                graph.parse(data=data, format="nt")
                conforms = not any(v.severity == "Violation" for v in violations)
                out[name] = ValidationReport(conforms, violations, graph)
    return {name: out[name] for name in names}


class _ReportChecker:
    """One process's reference index and shapes, prepared once for many report graphs."""

    def __init__(self, shapes: Graph | None = None) -> None:
        from kg.reference.loader import load_reference
        from kg.validate.per_report import ReferenceIndex  # the context `kg build` uses

        self.index = ReferenceIndex(load_reference())
        self.shapes = shapes if shapes is not None else shapes_graph()
        self.queries: dict[Any, Any] = {}  # SPARQL parsed once for every batch

    def check(self, graphs: Mapping[str, Graph]) -> dict[str, ValidationReport]:
        union = Graph()
        owners: dict[Node, list[str]] = defaultdict(list)
        for name, graph in graphs.items():
            union.addN((s, p, o, union) for s, p, o in graph)
            for subject in set(graph.subjects()):
                owners[subject].append(name)
        context = Graph()
        context.addN((s, p, o, context) for s, p, o in self.index.context(union))
        validator = ContextValidator(context, self.shapes, query_cache=self.queries)
        report = validator.validate(union, only_data_nodes=True, focus="filter")
        if len(graphs) == 1:
            return {next(iter(graphs)): report}
        return _split(report, owners, list(graphs))


def _split(
    report: ValidationReport, owners: Mapping[Node, list[str]], names: list[str]
) -> dict[str, ValidationReport]:
    """One report per graph: each result goes to the graph(s) whose subjects hold its focus."""
    results = report.report_graph
    per_graph: dict[str, list[Node]] = {name: [] for name in names}
    for top in results.subjects(RDF.type, SH.ValidationReport):
        for result in results.objects(top, SH.result):
            focus = results.value(result, SH.focusNode)
            for name in owners.get(focus, names) if focus is not None else names:
                per_graph[name].append(result)
    out: dict[str, ValidationReport] = {}
    for name in names:
        graph = Graph()
        node = BNode()
        graph.add((node, RDF.type, SH.ValidationReport))
        for result in per_graph[name]:
            graph.add((node, SH.result, result))
            graph += results.cbd(result)
        violations = [
            v for v in report.violations if name in owners.get(_node(v.focus_node), names)
        ]
        conforms = not any(v.severity == "Violation" for v in violations)
        graph.add((node, SH.conforms, Literal(conforms)))
        out[name] = ValidationReport(conforms, violations, graph)
    return out


_CHECKER: dict[str, _ReportChecker] = {}
"""The worker process's checker (set by `_init_checker`; one per process, by design)."""


def _init_checker(shapes: bytes) -> None:
    graph: Graph | None = None
    if shapes:
        graph = Graph()
        graph.parse(data=shapes, format="nt")
    _CHECKER["checker"] = _ReportChecker(graph)


def _check_in_worker(
    items: list[tuple[str, bytes]],
) -> list[tuple[str, list[Violation], bytes]]:
    graphs: dict[str, Graph] = {}
    for name, data in items:
        graphs[name] = Graph()
        graphs[name].parse(data=data, format="nt")
    reports = _CHECKER["checker"].check(graphs)
    return [
        (name, r.violations, r.report_graph.serialize(format="nt", encoding="utf-8"))
        for name, r in reports.items()
    ]


def _nt(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def validate_reference(
    context: Graph, *, shapes: Graph | None = None, strict: bool = False
) -> ValidationRun:
    """Validate the ontology and reference data themselves (every node, no extra context)."""
    started = time.perf_counter()
    report = validate_graph(context, context=Graph(), shapes=shapes)
    return ValidationRun(
        report=report,
        sources={REFERENCE_SOURCE: report.violations},
        seconds={REFERENCE_SOURCE: time.perf_counter() - started},
        strict=strict,
    )


def merge_runs(runs: list[ValidationRun], *, strict: bool = False) -> ValidationRun:
    """Several runs as one (e.g. `kg validate --reference FILE…`)."""
    sources: dict[str, list[Violation]] = {}
    seconds: dict[str, float] = {}
    reports: dict[str, ValidationReport] = {}
    for index, run in enumerate(runs):
        sources.update(run.sources)
        seconds.update(run.seconds)
        reports[str(index)] = run.report
    return ValidationRun(combine_reports(reports), sources, seconds, strict)


def _node(text: str) -> Node:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


# --- renderings -----------------------------------------------------------------------------


def render(run: ValidationRun, fmt: str) -> str:
    """The run as `text`, `turtle`, `json` or `junit` (see `FORMATS`)."""
    if fmt == "text":
        return render_text(run)
    if fmt == "turtle":
        return run.report.report_graph.serialize(format="turtle")
    if fmt == "json":
        return render_json(run)
    if fmt == "junit":
        return render_junit(run)
    raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")


def _line(violation: Violation) -> str:
    where = compact(violation.focus_node)
    if violation.path is not None:
        where += f" {compact(violation.path)}"
    return f"{violation.severity}: {where}: {violation.message}"


HKGSH = "https://w3id.org/humanitarian-kg/shapes#"


def _shape_name(shape: str) -> str:
    return "hkgsh:" + shape[len(HKGSH) :] if shape.startswith(HKGSH) else compact(shape)


def render_text(run: ValidationRun) -> str:
    """Results grouped by source, then one summary line."""
    lines: list[str] = []
    for source, violations in run.sources.items():
        if not violations:
            continue
        lines.append(f"{source}:")
        lines.extend(f"  {_line(v)}" for v in violations)
    lines.append(run.summary())
    return "\n".join(lines) + "\n"


def _result_json(violation: Violation) -> dict[str, str | None]:
    return {
        "severity": violation.severity,
        "focus_node": violation.focus_node,
        "path": violation.path,
        "value": violation.value,
        "shape": violation.shape,
        "message": violation.message,
    }


def render_json(run: ValidationRun) -> str:
    data = {
        "ok": run.ok,
        "conforms": run.report.conforms,
        "strict": run.strict,
        "counts": {severity: run.count(severity) for severity in SEVERITIES},
        "sources": [
            {
                "source": source,
                "conforms": not any(v.severity == "Violation" for v in violations),
                "results": [_result_json(v) for v in violations],
            }
            for source, violations in run.sources.items()
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_junit(run: ValidationRun) -> str:
    """JUnit XML: one testsuite per source, one testcase per (focus node, shape) with results.

    A failing testcase carries a <failure> whose message is the first result's message and
    whose text lists every result; warnings that do not fail (not --strict) and infos go to
    <system-out>. A source without results has one passing testcase, "conforms".
    """
    root = ET.Element("testsuites", name="kg validate")
    totals: dict[str, int] = defaultdict(int)
    for source, violations in run.sources.items():
        groups: dict[tuple[str, str], list[Violation]] = defaultdict(list)
        for violation in violations:
            groups[(violation.focus_node, violation.shape or "(anonymous shape)")].append(violation)
        suite = ET.SubElement(root, "testsuite", name=source)
        tests = failures = 0
        if not groups:
            ET.SubElement(suite, "testcase", classname=source, name="conforms", time="0")
            tests = 1
        for (focus, shape), results in sorted(groups.items()):
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=source,
                name=f"{compact(focus)} {_shape_name(shape)}",
                time="0",
            )
            failing = [v for v in results if run.fails(v)]
            other = [v for v in results if not run.fails(v)]
            if failing:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=failing[0].message,
                    type=f"sh:{failing[0].severity}",
                )
                failure.text = "\n".join(_line(v) for v in failing)
            if other:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(_line(v) for v in other)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", f"{run.seconds.get(source, 0.0):.3f}")
        totals["tests"] += tests
        totals["failures"] += failures
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", f"{sum(run.seconds.values()):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
