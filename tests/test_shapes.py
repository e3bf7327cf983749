"""The SHACL shapes (shapes/*.ttl) and their wrapper, kg.validate.engine.

Shape fixtures live in tests/fixtures/shapes/{valid,invalid}/*.ttl. Each is self-contained: it
carries the few ontology triples it needs (rdfs:subClassOf, scheme membership), so it is
validated with an empty context and does not depend on ontology/ or data/reference/.

An invalid fixture declares every result it must produce, in comments at its top:

    # expect: <focus node> <source shape>           a result of severity Violation
    # expect-warning: <focus node> <source shape>   a result of severity Warning

written with the fixture's own prefixes plus hkgsh:; ``_:`` stands for any blank node. The
fixture must produce exactly those (focus, shape, severity) results, no others.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from decimal import Decimal
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from kg.namespaces import HKG, ID, SH
from kg.validate.engine import (
    RDFParseError,
    ShapesError,
    ValidationReport,
    Violation,
    context_graph,
    load_rdf,
    shapes_graph,
    validate_graph,
)

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
HKGSH = "https://w3id.org/humanitarian-kg/shapes#"

_PREFIX_RE = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.MULTILINE)
_EXPECT_RE = re.compile(r"^# expect(-warning)?:\s*(\S+)\s+(\S+)\s*$", re.MULTILINE)

Expectation = tuple[str, str, str]  # severity, focus node ("_:" for any blank node), shape


@cache
def shapes() -> Graph:
    return shapes_graph()


@cache
def report_for(path: Path) -> ValidationReport:
    return validate_graph(load_rdf(path), context=Graph(), shapes=shapes())


def expand(curie: str, prefixes: dict[str, str]) -> str:
    if curie == "_:":
        return curie
    prefix, _, local = curie.partition(":")
    return prefixes[prefix] + local


def expectations(path: Path) -> set[Expectation]:
    text = path.read_text(encoding="utf-8")
    prefixes = dict(_PREFIX_RE.findall(text)) | {"hkgsh": HKGSH}
    return {
        ("Warning" if warning else "Violation", expand(focus, prefixes), expand(shape, prefixes))
        for warning, focus, shape in _EXPECT_RE.findall(text)
    }


def actual(report: ValidationReport) -> set[Expectation]:
    return {
        (v.severity, "_:" if v.focus_node.startswith("_:") else v.focus_node, v.shape or "")
        for v in report.violations
    }


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


EXPECTED_CASES = [
    pytest.param(
        path, *case, id=f"{path.stem}:{case[1].rsplit('/', 1)[-1]}:{case[2][len(HKGSH) :]}"
    )
    for path in INVALID
    for case in sorted(expectations(path))
]


# --- fixtures, shape by shape ---------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_valid_fixture_has_no_results(path: Path) -> None:
    report = report_for(path)
    assert report.conforms, report.text()
    assert report.violations == [], report.text()


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_fixture_declares_expectations(path: Path) -> None:
    assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.slow
@pytest.mark.parametrize(("path", "severity", "focus", "shape"), EXPECTED_CASES)
def test_invalid_fixture_reports_expected_result(
    path: Path, severity: str, focus: str, shape: str
) -> None:
    report = report_for(path)
    matching = [
        v
        for v in report.violations
        if v.severity == severity
        and v.shape == shape
        and (v.focus_node == focus or (focus == "_:" and v.focus_node.startswith("_:")))
    ]
    assert matching, f"expected {severity} on {focus} from {shape}; got:\n{report.text()}"
    for violation in matching:
        assert violation.message.strip()
        assert "{$" not in violation.message and "{?" not in violation.message
        assert violation.focus_node in violation.message  # the message names the node
    if severity == "Violation":
        assert not report.conforms


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_fixture_reports_nothing_unexpected(path: Path) -> None:
    report = report_for(path)
    unexpected = actual(report) - expectations(path)
    assert not unexpected, f"unexpected results in {path.name}:\n{report.text()}"


def _shape_iris(predicate: URIRef | None = None) -> set[str]:
    graph = shapes()
    if predicate is None:
        subjects = (
            set(graph.subjects(SH.targetClass, None))
            | set(graph.subjects(SH.target, None))
            | set(graph.subjects(SH.path, None))
        )
    else:
        subjects = set(graph.subjects(predicate, None))
    return {str(s) for s in subjects if isinstance(s, URIRef)}


def test_every_shape_has_an_invalid_fixture() -> None:
    """Each shape, or for a node shape with property shapes only, one of those, is expected."""
    expected = {shape for path in INVALID for _, _, shape in expectations(path)}
    graph = shapes()
    missing = sorted(
        shape
        for shape in _shape_iris()
        if shape not in expected
        and not {str(p) for p in graph.objects(URIRef(shape), SH.property)} & expected
    )
    assert not missing, f"no invalid fixture expects a result from: {missing}"


def test_every_targeted_class_has_a_valid_fixture() -> None:
    classes = {str(c) for c in shapes().objects(None, SH.targetClass)}
    covered: set[str] = set()
    for path in VALID:
        graph = load_rdf(path)
        for cls in classes:
            query = "ASK { ?node a/rdfs:subClassOf* ?class }"
            if graph.query(query, initBindings={"class": URIRef(cls)}).askAnswer:
                covered.add(cls)
    assert classes - covered == set()


# --- the shapes graph itself ----------------------------------------------------------------


@pytest.mark.slow
def test_shapes_are_valid_shacl() -> None:
    """pySHACL's meta-shapes (SHACL for SHACL) accept the shapes graph."""
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes_graph(), meta_shacl=True)
    assert conforms, text


def test_every_property_shape_is_documented() -> None:
    """Operands of sh:or and friends (list members) are exempt: the enclosing shape speaks."""
    graph = shapes()
    for shape in set(graph.subjects(SH.path, None)):
        if (None, RDF.first, shape) in graph:
            continue
        label = graph.value(shape, SH.path)
        for predicate in (SH.name, SH.description, SH.message):
            assert graph.value(shape, predicate) is not None, f"{shape} ({label}): no {predicate}"


def test_every_node_shape_is_documented() -> None:
    graph = shapes()
    for shape in set(graph.subjects(RDF.type, SH.NodeShape)):
        assert graph.value(shape, RDFS.label) is not None, f"{shape}: no rdfs:label"
        assert graph.value(shape, SH.description) is not None, f"{shape}: no sh:description"
        has_message = graph.value(shape, SH.message) is not None
        sparql = list(graph.objects(shape, SH.sparql))
        assert has_message or sparql, f"{shape}: no sh:message"
        for constraint in sparql:
            assert graph.value(constraint, SH.message) is not None, f"{shape}: SPARQL message"


def test_every_message_names_the_focus_node() -> None:
    graph = shapes()
    for shape, message in graph.subject_objects(SH.message):
        targeted = any(graph.value(shape, p) is not None for p in (SH.targetClass, SH.target))
        if targeted or graph.value(shape, SH.path) is not None or (None, SH.sparql, shape) in graph:
            assert "{$this}" in str(message), f"{shape}: message does not say which node"


def test_shape_files_load_with_their_prefix_declarations() -> None:
    declared = {
        str(p)
        for d in shapes().objects(URIRef(HKGSH.rstrip("#")), SH.declare)
        for p in shapes().objects(d, SH.prefix)
    }
    assert {"hkg", "id", "oa", "prov", "skos", "rdfs", "xsd"} <= declared


# --- validate_graph -------------------------------------------------------------------------


def test_validate_graph_does_not_mutate_its_inputs() -> None:
    data = load_rdf(VALID[0])
    context = Graph()
    context.add((HKG.InternationalNGO, RDFS.subClassOf, HKG.Organisation))
    shapes_copy = Graph()
    for triple in shapes():
        shapes_copy.add(triple)
    data_before, context_before = _as_graph(data), _as_graph(context)
    validate_graph(data, context=context, shapes=shapes())
    assert isomorphic(data_before, _as_graph(data))
    assert isomorphic(context_before, context)
    assert isomorphic(shapes_copy, shapes())


def _as_graph(dataset: Graph) -> Graph:
    """The triples of every graph of a dataset (iterating a Dataset yields quads)."""
    graph = Graph()
    for triple in dataset.triples((None, None, None)):
        graph.add(triple)
    return graph


def _publisher_graph() -> Graph:
    """A report whose publisher is typed with a subclass the data itself does not declare."""
    graph = Graph()
    report, org = ID["report/r"], ID["org/amcp"]
    graph.add((report, RDF.type, HKG.Report))
    graph.add((report, RDFS.label, Literal("r")))
    graph.add((report, HKG.fileName, Literal("r.txt")))
    graph.add((report, HKG.sha256, Literal("0" * 64)))
    graph.add((report, URIRef("http://purl.org/dc/terms/publisher"), org))
    graph.add((org, RDF.type, HKG.NationalNGO))
    graph.add((org, RDFS.label, Literal("AMCP")))
    return graph


def test_context_supplies_the_class_hierarchy() -> None:
    data = _publisher_graph()
    alone = validate_graph(data, context=Graph(), shapes=shapes())
    assert not alone.conforms
    assert [v.shape for v in alone.violations] == [HKGSH + "Report-publisher"]
    ontology = Graph()
    ontology.add((HKG.NationalNGO, RDFS.subClassOf, HKG.Organisation))
    merged = validate_graph(data, context=ontology, shapes=shapes())
    assert merged.conforms, merged.text()
    assert (HKG.NationalNGO, RDFS.subClassOf, HKG.Organisation) not in data


def test_validate_graph_reads_every_graph_of_a_dataset() -> None:
    dataset = Dataset()
    named = dataset.graph(ID["graph/report/r"])
    for triple in _publisher_graph():
        named.add(triple)
    dataset.add((HKG.NationalNGO, RDFS.subClassOf, HKG.Organisation))
    report = validate_graph(dataset, context=Graph(), shapes=shapes())
    assert report.conforms, report.text()
    named.remove((ID["report/r"], HKG.sha256, None))
    report = validate_graph(dataset, context=Graph(), shapes=shapes())
    assert [v.shape for v in report.violations] == [HKGSH + "Report-sha256"]


def test_warnings_do_not_break_conformance() -> None:
    report = report_for(FIXTURES / "invalid" / "places.ttl")
    assert report.count("Warning") == 4
    assert report.count("Violation") == len(report.violations) - 4
    graph = _as_graph(load_rdf(FIXTURES / "valid" / "figures.ttl"))
    percent = ID["context/full"]
    graph.set((percent, HKG.value, Literal(Decimal("150"))))
    result = validate_graph(graph, context=Graph(), shapes=shapes())
    assert result.conforms
    assert [(v.severity, v.shape) for v in result.violations] == [
        ("Warning", HKGSH + "Figure-percentAtMost100")
    ]


def test_report_is_sorted_and_deterministic() -> None:
    path = FIXTURES / "invalid" / "presence.ttl"  # no blank nodes: their ids change per parse
    first = validate_graph(load_rdf(path), context=Graph(), shapes=shapes())
    second = validate_graph(load_rdf(path), context=Graph(), shapes=shapes())
    assert first.violations == second.violations
    assert first.violations == sorted(first.violations, key=Violation.sort_key)
    mixed = report_for(FIXTURES / "invalid" / "places.ttl").violations
    severities = [v.severity for v in mixed]
    assert severities == sorted(severities, key=["Violation", "Warning", "Info"].index)
    assert mixed == sorted(mixed, key=Violation.sort_key)


def test_report_text_and_fields() -> None:
    report = report_for(FIXTURES / "invalid" / "report-label-filename-checksum.ttl")
    sha = [v for v in report.violations if v.focus_node.endswith("/upper-sha")]
    assert len(sha) == 1
    violation = sha[0]
    assert violation.path == str(HKG.sha256)
    assert violation.value is not None and violation.value.startswith('"9F86D')
    assert violation.shape == HKGSH + "Report-sha256"
    assert violation.severity == "Violation"
    lines = report.text().splitlines()
    assert len(lines) == len(report.violations)
    assert "Violation: id:report/upper-sha hkg:sha256: Report " in report.text()
    assert all(line.startswith("Violation: ") for line in lines)
    assert isinstance(report.report_graph, Graph)
    assert (None, RDF.type, SH.ValidationReport) in report.report_graph


def test_literal_values_are_written_in_n3() -> None:
    report = report_for(FIXTURES / "invalid" / "report-optional-properties.ttl")
    values = {v.focus_node.rsplit("/", 1)[-1]: v.value for v in report.violations}
    assert values["year-1944"] == '"1944"^^xsd:gYear'
    assert values["year-integer"] == '"2023"^^xsd:integer'


def test_unusable_shapes_raise_shapes_error() -> None:
    bad = Graph()
    shape = URIRef(HKGSH + "Bad")
    bad.add((shape, RDF.type, SH.NodeShape))
    bad.add((shape, SH.targetClass, HKG.Report))
    constraint = BNode()
    bad.add((shape, SH.sparql, constraint))
    bad.add((constraint, SH.select, Literal("SELECT $this WHERE { VALUES ?x { 1 } }")))
    with pytest.raises(ShapesError):
        validate_graph(_publisher_graph(), context=Graph(), shapes=bad)


@pytest.mark.slow
def test_default_graphs_come_from_the_repository() -> None:
    assert len(shapes_graph()) == len(shapes())
    extra = Graph()
    extra.add((ID["place/ml"], RDF.type, HKG.Country))
    assert (ID["place/ml"], RDF.type, HKG.Country) in context_graph(extra)


# --- load_rdf -------------------------------------------------------------------------------

TURTLE = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"

GOOD_FILES = {
    "a.ttl": TURTLE,
    "a.nt": "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n",
    "a.nq": "<http://example.org/a> <http://example.org/b> <http://example.org/c> "
    "<http://example.org/g> .\n",
    "a.trig": "@prefix ex: <http://example.org/> .\nex:g { ex:a ex:b ex:c . }\n",
    "a.jsonld": json.dumps(
        {"@id": "http://example.org/a", "http://example.org/b": {"@id": "http://example.org/c"}}
    ),
    "a.rdf": '<?xml version="1.0"?>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/">\n'
    '  <rdf:Description rdf:about="http://example.org/a">\n'
    '    <ex:b rdf:resource="http://example.org/c"/>\n'
    "  </rdf:Description>\n</rdf:RDF>\n",
}


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_load_rdf_reads_every_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(GOOD_FILES[name], encoding="utf-8")
    dataset = load_rdf(path)
    assert isinstance(dataset, Dataset)
    assert list(dataset.triples((None, None, None))) == [
        (
            URIRef("http://example.org/a"),
            URIRef("http://example.org/b"),
            URIRef("http://example.org/c"),
        )
    ]


def test_load_rdf_keeps_named_graphs(tmp_path: Path) -> None:
    path = tmp_path / "a.trig"
    path.write_text(GOOD_FILES["a.trig"], encoding="utf-8")
    dataset = load_rdf(path)
    assert URIRef("http://example.org/g") in {g.identifier for g in dataset.graphs()}


def test_malformed_turtle_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text(TURTLE + "ex:a ex:b ex:c\nex:d ex:e ex:f .\n", encoding="utf-8")
    with pytest.raises(RDFParseError) as caught:
        load_rdf(path)
    error = caught.value
    assert error.path == path
    assert error.line == 4
    assert str(error).startswith(f"{path}:4: ")
    assert "expected '.'" in error.message
    assert "\n" not in str(error)


def test_unterminated_string_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text(TURTLE + '\n\nex:a ex:b "unterminated .\n', encoding="utf-8")
    with pytest.raises(RDFParseError) as caught:
        load_rdf(path)
    assert caught.value.line == 5


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        (
            "a.nt",
            GOOD_FILES["a.nt"] * 2 + "\n<http://example.org/a> <b> .\n" + GOOD_FILES["a.nt"],
            4,
        ),
        ("a.nq", GOOD_FILES["a.nq"] + "<http://example.org/a> <http://example.org/b> x .\n", 2),
        ("a.jsonld", '{\n  "@id": "http://example.org/a",\n  oops\n}', 3),
        ("a.rdf", GOOD_FILES["a.rdf"].replace("</rdf:Description>", "</rdf:Descr>"), 5),
        ("a.trig", "@prefix ex: <http://example.org/> .\nex:g {\n ex:a ex:b ex:c .\n", 4),
    ],
)
def test_malformed_files_name_their_line(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RDFParseError) as caught:
        load_rdf(path)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:b>&lol9;</ex:b></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("suffix", [".rdf", ".owl", ".xml"])
def test_billion_laughs_is_refused_quickly(tmp_path: Path, suffix: str, encoding: str) -> None:
    path = tmp_path / f"lolz{suffix}"
    text = (
        BILLION_LAUGHS
        if encoding == "utf-8"
        else BILLION_LAUGHS.replace('"1.0"', '"1.0" encoding="UTF-16"')
    )
    path.write_bytes(text.encode(encoding))
    started = time.perf_counter()
    with pytest.raises(RDFParseError) as caught:
        load_rdf(path)
    assert time.perf_counter() - started < 1.0
    assert "DOCTYPE" in caught.value.message
    assert caught.value.line == 2


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    path = tmp_path / "xxe.rdf"
    path.write_text(
        BILLION_LAUGHS.split("<!DOCTYPE")[0]
        + f'<!DOCTYPE r [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>\n'
        + GOOD_FILES["a.rdf"]
        .split("\n", 1)[1]
        .replace('rdf:resource="http://example.org/c"/>', ">&xxe;</ex:b>"),
        encoding="utf-8",
    )
    with pytest.raises(RDFParseError, match="DOCTYPE"):
        load_rdf(path)


def test_remote_jsonld_context_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "remote.jsonld"
    document = {"@context": ["https://schema.org/", {"ex": "http://example.org/"}], "@id": "ex:a"}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(RDFParseError, match="remote JSON-LD context 'https://schema.org/'"):
        load_rdf(path)


def test_inline_jsonld_context_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "inline.jsonld"
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:a", "ex:b": {"@id": "ex:c"}}
    path.write_text(json.dumps(document), encoding="utf-8")
    assert len(load_rdf(path)) == 1


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.ttl"
    path.write_text(TURTLE * 10, encoding="utf-8")
    with pytest.raises(RDFParseError, match="limit of 100") as caught:
        load_rdf(path, max_bytes=100)
    assert caught.value.line is None
    assert str(caught.value).startswith(f"{path}: ")
    assert len(load_rdf(path, max_bytes=len(TURTLE) * 10)) == 1


def test_unknown_extension_and_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RDFParseError, match="unknown RDF file extension '.csv'"):
        load_rdf(tmp_path / "a.csv")
    with pytest.raises(RDFParseError, match="cannot read file"):
        load_rdf(tmp_path / "missing.ttl")


def test_rdf_parse_error_str() -> None:
    assert str(RDFParseError(Path("a/b.ttl"), 7, "oops")) == "a/b.ttl:7: oops"
    assert str(RDFParseError("a/b.ttl", None, "oops")) == "a/b.ttl: oops"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from([".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf"]),
    text=st.text(alphabet=st.sampled_from(list('<>"@:._ \n{}[]();,#^\\abcex0123é')), max_size=80),
)
def test_load_rdf_raises_only_rdf_parse_errors(suffix: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"fuzz{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            load_rdf(path)
        except RDFParseError as error:
            assert str(error).startswith(str(path))
            assert error.line is None or error.line >= 1


def test_violation_is_frozen() -> None:
    violation = Violation("x", None, None, "m", "Violation", None)
    with pytest.raises(AttributeError):
        violation.message = "n"  # type: ignore[misc]
