"""The reference organisations (data/reference/organisations-*.ttl) and their identifiers
(data/reference/organisation-identifiers.csv).

The loaders match every SKOS label and the rdfs:label of an organisation case- and
accent-insensitively on whole words, and every hkg:acronym case-sensitively, so the names decide
what is recognised in any report: a label shared by two organisations, or one that is an
ordinary word, tags the wrong thing. An external identifier is only worth having if it is right,
so each one names the source it was read in.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import HKG, ORG, entity
from kg.reference.loader import (
    IDENTIFIERS_FILE,
    WIKIDATA_ENTITY,
    add_organisation_identifiers,
    load_reference,
    read_csv,
    reference_graph,
)
from kg.validate.engine import shapes_graph, validate_graph

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
ORG_FILES = sorted(REFERENCE.glob("organisations-*.ttl"))
IDENTIFIERS = REFERENCE / IDENTIFIERS_FILE

TYPES = {
    HKG[name]
    for name in (
        "UNAgency",
        "InternationalNGO",
        "NationalNGO",
        "RedCrossRedCrescent",
        "Donor",
        "GovernmentBody",
        "ResearchInstitution",
        "PrivateSector",
        "CommunityOrganisation",
    )
}
PATTERNS = {
    "iati": re.compile(r"^[A-Z]{2}-[A-Za-z0-9]+-.+$"),
    "wikidata": re.compile(r"^Q[0-9]+$"),
}
LABELS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)

# Ordinary English, French and Spanish words and phrases that organisations are named after.
# None may be a whole label: "Concern" would tag every worried sentence, "people in need" every
# page of a humanitarian report.
COMMON = {
    "action",
    "accion",
    "aid",
    "aide",
    "ayuda",
    "alliance",
    "alianza",
    "care",
    "concern",
    "emergency",
    "urgence",
    "urgencia",
    "goal",
    "but",
    "meta",
    "hope",
    "espoir",
    "esperanza",
    "help",
    "relief",
    "secours",
    "socorro",
    "mercy",
    "vision",
    "life",
    "vie",
    "vida",
    "light",
    "path",
    "pact",
    "plan",
    "reach",
    "impact",
    "search",
    "save",
    "sphere",
    "start",
    "network",
    "foundation",
    "fondation",
    "fundacion",
    "solidarity",
    "solidarite",
    "solidaridad",
    "interaction",
    "epicentre",
    "epicenter",
    "acted",
    "attic",
    "palladium",
    "protection",
    "health",
    "sante",
    "salud",
    "education",
    "nutrition",
    "halo",
    "rest",
    "near",
    "hot",
    "people in need",
    "partners in health",
    "practical action",
    "direct relief",
    "right to protection",
    "humanitarian outcomes",
    "street child",
    "food for the hungry",
    "bread for the world",
    "world relief",
    "international alert",
    "syria relief",
}

# Acronyms that are also ordinary words, kept because the organisation writes itself so and the
# acronym is matched case-sensitively; each says why it is safe enough.
ACRONYM_WORDS = {
    "CARE": "CARE International writes itself in capitals; lower-case 'care' is not matched",
    "REACH": "REACH Initiative writes itself in capitals; lower-case 'reach' is not matched",
    "Epicentre": "MSF's research centre, capitalised; kept before this list existed",
    "InterAction": "camel case, which ordinary text never writes",
    "ACTED": "the NGO writes itself in capitals; upper-case 'ACTED' is rare outside its name",
    "ATTIC": "a Chadian NGO that writes itself in capitals; 'attic' is rare in reports anyway",
}

# Acronyms two organisations may share, with the reason. Empty: a shared acronym is ambiguous,
# so it is left out of both and their rdfs:comments say so (KRCS, NRCS, SLRCS...), unless every
# owner is a national body of its own country (hkg:country): the loaders then read it as the
# report country's body (IRCS in a report about Iran is the Iranian Red Crescent).
SHARED_ACRONYMS: dict[str, str] = {}


def fold(text: str) -> str:
    """What the loaders compare: case, accents, apostrophe style and spacing do not count."""
    text = text.replace("\u2019", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.casefold()).strip()


@pytest.fixture(scope="module")
def graph() -> Graph:
    graph = Graph()
    for path in ORG_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def organisations(graph: Graph) -> list[URIRef]:
    return sorted(
        s for s, o in graph.subject_objects(RDF.type) if isinstance(s, URIRef) and o in TYPES
    )


def _slug(iri: URIRef) -> str:
    return str(iri).rsplit("/", 1)[-1]


def test_the_list_is_split_by_kind_and_has_a_few_hundred_organisations(
    graph: Graph, organisations: list[URIRef]
) -> None:
    assert {p.stem for p in ORG_FILES} >= {
        "organisations-un",
        "organisations-red-cross",
        "organisations-ngos",
        "organisations-national-ngos",
        "organisations-donors",
        "organisations-government",
    }
    assert 350 <= len(organisations) <= 500
    societies = [o for o in organisations if (o, RDF.type, HKG.RedCrossRedCrescent) in graph]
    assert len(societies) >= 60
    typed = {s for s in graph.subjects(RDF.type, None)}
    assert typed == set(organisations), "every subject of these files is a typed organisation"


def test_every_organisation_has_a_type_a_display_label_and_three_preflabels(
    graph: Graph, organisations: list[URIRef]
) -> None:
    problems = []
    for org in organisations:
        types = set(graph.objects(org, RDF.type))
        if not types & TYPES:
            problems.append(f"{_slug(org)}: no organisation type")
        labels = list(graph.objects(org, RDFS.label))
        if len(labels) != 1 or not isinstance(labels[0], Literal) or labels[0].language:
            problems.append(f"{_slug(org)}: exactly one plain rdfs:label")
        languages = [o.language for o in graph.objects(org, SKOS.prefLabel)]
        for lang in ("en", "fr", "es"):
            if languages.count(lang) != 1:
                problems.append(f"{_slug(org)}: one skos:prefLabel @{lang}, has {languages}")
    assert problems == []


def test_parents_are_reference_organisations(graph: Graph, organisations: list[URIRef]) -> None:
    known = set(organisations)
    missing = [
        f"{_slug(s)} -> {o}"
        for s, o in graph.subject_objects(ORG.subOrganizationOf)
        if o not in known or s == o
    ]
    assert missing == []


def test_no_label_of_one_organisation_is_a_label_of_another(
    graph: Graph, organisations: list[URIRef]
) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for org in organisations:
        for predicate in LABELS:
            for label in graph.objects(org, predicate):
                owners[fold(str(label))].add(_slug(org))
    shared = {label: sorted(orgs) for label, orgs in owners.items() if len(orgs) > 1}
    assert shared == {}


def test_no_label_is_a_common_word(graph: Graph, organisations: list[URIRef]) -> None:
    common = [
        f"{_slug(org)}: {str(label)!r}"
        for org in organisations
        for predicate in LABELS
        for label in graph.objects(org, predicate)
        if fold(str(label)) in COMMON
    ]
    assert common == []


def test_acronyms_are_unique_and_not_words_unless_documented(
    graph: Graph, organisations: list[URIRef]
) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, set[str]] = defaultdict(set)
    for org in organisations:
        for acronym in graph.objects(org, HKG.acronym):
            owners[str(acronym)].add(_slug(org))
        for predicate in LABELS:
            for label in graph.objects(org, predicate):
                labels[fold(str(label))].add(_slug(org))
    countries = {_slug(o): graph.value(o, HKG.country) for o in organisations}

    def national(owners_of: set[str]) -> bool:
        found = [countries[o] for o in owners_of]
        return None not in found and len(set(found)) == len(found)

    shared = {
        a: sorted(o)
        for a, o in owners.items()
        if len(o) > 1 and a not in SHARED_ACRONYMS and not national(o)
    }
    assert shared == {}
    # an acronym must not be another organisation's name either (query parameters and hkg:key
    # compare names case-insensitively)
    clashes = {a: sorted(labels[fold(a)] - o) for a, o in owners.items() if labels[fold(a)] - o}
    assert clashes == {}
    words = sorted(a for a in owners if fold(a) in COMMON and a not in ACRONYM_WORDS)
    assert words == []
    assert set(ACRONYM_WORDS) <= set(owners), "stale entries in ACRONYM_WORDS"


def test_every_identifier_names_a_known_organisation_and_is_well_formed(
    organisations: list[URIRef],
) -> None:
    rows = read_csv(IDENTIFIERS)
    assert rows, "no identifiers"
    known = {_slug(o) for o in organisations}
    problems = []
    seen = set()
    for row in rows:
        where = f"{row['organisation']} {row['scheme']} {row['identifier']}"
        if row["organisation"] not in known:
            problems.append(f"{where}: unknown organisation")
        pattern = PATTERNS.get(row["scheme"])
        if pattern is None:
            problems.append(f"{where}: unknown scheme")
        elif not pattern.match(row["identifier"]):
            problems.append(f"{where}: does not match {pattern.pattern}")
        if not row["source"]:
            problems.append(f"{where}: no source")
        if (row["scheme"], row["identifier"]) in seen:
            problems.append(f"{where}: listed twice")
        seen.add((row["scheme"], row["identifier"]))
    wikidata = [r["organisation"] for r in rows if r["scheme"] == "wikidata"]
    problems += [f"{o}: two Wikidata items" for o in set(wikidata) if wikidata.count(o) > 1]
    assert problems == []


def test_identifiers_are_in_the_reference_graph() -> None:
    graph = reference_graph()
    for row in read_csv(IDENTIFIERS):
        org = entity("org", row["organisation"])
        if row["scheme"] == "iati":
            assert (org, ORG.identifier, Literal(row["identifier"])) in graph
        else:
            item = URIRef(WIKIDATA_ENTITY + row["identifier"])
            assert (org, SKOS.exactMatch, item) in graph


@pytest.mark.slow
def test_malformed_identifiers_are_violations(tmp_path: Path, graph: Graph) -> None:
    table = tmp_path / IDENTIFIERS_FILE
    table.write_text(
        "organisation,scheme,identifier,source\n"
        "msf,iati,41114,test\n"
        "msf,wikidata,wiki/Q49330,test\n",
        encoding="utf-8",
    )
    msf = entity("org", "msf")
    data = Graph()
    for triple in graph.triples((msf, None, None)):
        data.add(triple)
    assert add_organisation_identifiers(data, table) == 2
    report = validate_graph(data, context=load_reference().ontology, shapes=shapes_graph())
    shapes = {(v.focus_node, (v.shape or "").rsplit("#", 1)[-1]) for v in report.violations}
    assert shapes == {
        (str(msf), "Organisation-iatiIdentifier"),
        (str(msf), "Organisation-wikidata"),
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("no-such-org,iati,XM-DAC-1-2,test", "no reference organisation"),
        ("msf,duns,123456789,test", "unknown scheme"),
    ],
)
def test_a_row_that_cannot_be_loaded_is_refused(
    tmp_path: Path, graph: Graph, line: str, message: str
) -> None:
    table = tmp_path / IDENTIFIERS_FILE
    table.write_text(f"organisation,scheme,identifier,source\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        add_organisation_identifiers(Graph() + graph, table)


def test_without_the_table_nothing_is_added(tmp_path: Path) -> None:
    assert add_organisation_identifiers(Graph(), tmp_path / IDENTIFIERS_FILE) == 0


@pytest.mark.slow
def test_the_reference_passes_strict_validation() -> None:
    result = CliRunner().invoke(app, ["validate", "--reference", "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 violation(s), 0 warning(s)" in result.output
