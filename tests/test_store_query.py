"""The embedded store (kg.store) and the named queries (kg.query.named, queries/*.rq).

The fixture tests/fixtures/store/mini.trig follows docs/data-model.md: two reports, three
organisations (one minted in a report), Mali > Mopti > Koro and Mali > Timbuktu > Gourma
Rharous, Gao without work, Niger, GBV under Protection, and an inferred graph that repeats
some asserted triples (so double counting would show).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from kg.query.named import (
    NamedQuery,
    QueryDefinitionError,
    QueryParamError,
    QueryResult,
    UnknownQueryError,
    list_queries,
    load_query,
    parse_query,
    run_query,
    stats,
)
from kg.resources import asset_dir
from kg.store import StoreError, StoreNotFoundError, open_store, write_store

FIXTURE = Path(__file__).parent / "fixtures" / "store" / "mini.trig"
ID = "https://w3id.org/humanitarian-kg/id/"
HKG = "https://w3id.org/humanitarian-kg/ontology#"
MSF = "Médecins Sans Frontières"
ALIMA = "Alliance for International Medical Action"
AMCP = "Medical Alliance Against Malaria-Population Health"

# the parameters a query needs before it can run at all
REQUIRED = {"place": "Mopti", "country": "Mali"}


def quad_set(store: ox.Store) -> set[str]:
    return {str(q) for q in store}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kg") / "store"
    write_store(path, FIXTURE)
    return path


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return open_store(store_path)


def rows(store: ox.Store, name: str, **params: str) -> list[tuple[str | None, ...]]:
    return run_query(store, name, params).rows


# --- the store -------------------------------------------------------------------------------


def test_write_then_open(tmp_path: Path) -> None:
    memory = ox.Store()  # Oxigraph stores numbers canonically (nonNegativeInteger -> integer)
    memory.load(path=str(FIXTURE))
    expected = quad_set(memory)
    result = write_store(tmp_path / "store", FIXTURE)
    assert (result.quads, result.graphs) == (len(expected), 5)
    assert result.quads_per_second > 0
    opened = open_store(tmp_path / "store")
    assert quad_set(opened) == expected
    assert {g.value for g in opened.named_graphs()} == {
        ID + "graph/ontology",
        ID + "graph/reference",
        ID + "graph/inferred",
        ID + "graph/report/msf-mali-2023",
        ID + "graph/report/alima-mali",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_every_source_kind_loads_the_same_quads(tmp_path: Path, store: ox.Store) -> None:
    dataset = Dataset()
    dataset.parse(FIXTURE, format="trig")
    pairs = [(g.identifier, g) for g in dataset.graphs() if len(g)]
    nquads = dataset.serialize(format="nquads", encoding="utf-8")
    before = len(dataset)
    for i, source in enumerate([dataset, pairs, nquads, str(FIXTURE)]):
        write_store(tmp_path / f"s{i}", source)
        assert quad_set(open_store(tmp_path / f"s{i}")) == quad_set(store), type(source)
    assert len(dataset) == before  # the caller's data is only read


def test_open_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="run `kg build` first") as info:
        open_store(tmp_path / "nowhere")
    assert info.value.path == tmp_path / "nowhere"
    assert str(tmp_path / "nowhere") in str(info.value)


def test_open_read_write(tmp_path: Path) -> None:
    write_store(tmp_path / "store", FIXTURE)
    writable = open_store(tmp_path / "store", read_only=False)
    writable.add(
        ox.Quad(
            ox.NamedNode(ID + "x"),
            ox.NamedNode(ID + "p"),
            ox.Literal("1"),
            ox.NamedNode(ID + "graph/extra"),
        )
    )
    assert ox.NamedNode(ID + "graph/extra") in set(writable.named_graphs())


def test_default_graph_triples_are_refused(tmp_path: Path) -> None:
    graph = Graph()
    graph.add((URIRef(ID + "x"), URIRef(ID + "p"), Literal("1")))
    with pytest.raises(StoreError, match="default graph"):
        write_store(tmp_path / "store", [(None, graph)])
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(StoreError, match="not an Oxigraph store"):
        write_store(precious, FIXTURE)
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_failed_write_leaves_the_previous_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    write_store(path, FIXTURE)
    before = quad_set(open_store(path))

    def exploding() -> Iterator[ox.Quad]:
        for i in range(1000):
            yield ox.Quad(
                ox.NamedNode(ID + f"x{i}"),
                ox.NamedNode(ID + "p"),
                ox.Literal("1"),
                ox.NamedNode(ID + "graph/report/new"),
            )
        raise RuntimeError("extractor crashed midway")

    with pytest.raises(RuntimeError, match="midway"):
        write_store(path, exploding())
    with pytest.raises(SyntaxError):
        write_store(path, b"<http://a> <http://b> this is not N-Quads .\n")
    assert quad_set(open_store(path)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # no .tmp-/.old- left


def test_successful_write_replaces_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    write_store(path, FIXTURE)
    graph = Graph()
    graph.add((URIRef(ID + "x"), URIRef(ID + "p"), Literal("only this")))
    result = write_store(path, [(ID + "graph/report/tiny", graph)])
    assert (result.quads, result.graphs) == (1, 1)
    assert [q.object.value for q in open_store(path)] == ["only this"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_stats(store: ox.Store) -> None:
    counts = stats(store)
    assert counts["graphs"] == 5
    assert counts["quads"] == len(store)
    assert counts["classes"][HKG + "Outcome"] == 3
    assert counts["classes"][HKG + "Presence"] == 4
    assert counts["classes"][HKG + "Organisation"] == 3  # 2 inferred + 1 minted, not doubled
    assert counts["reports"][ID + "graph/report/alima-mali"] == {
        "report": "alima-mali",
        "triples": 92,
        "outcomes": 1,
        "context_figures": 1,
        "presences": 2,
        "partnerships": 1,
    }
    assert counts["reports"][ID + "graph/report/msf-mali-2023"]["outcomes"] == 2


# --- the named queries -----------------------------------------------------------------------

ALL_QUERIES = list_queries()


def test_the_named_queries_are_there() -> None:
    names = {q.name for q in ALL_QUERIES}
    assert names >= {
        "who-what-where",
        "organisations-in",
        "outcomes",
        "partnerships",
        "context",
        "totals",
        "provenance",
        "overlaps",
        "gaps",
        "stats-classes",
        "stats-by-report",
    }


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.name)
def test_every_query_runs(store: ox.Store, query: NamedQuery) -> None:
    assert query.title and query.description and query.path is not None
    assert all(p.doc for p in query.params)
    assert "BOUND(?param_" not in query.text.upper()  # Oxigraph: false even when substituted
    required = {p.name: REQUIRED[p.name] for p in query.params if p.required}
    result = run_query(store, query, required)
    assert result.columns and not any(c.startswith("param_") for c in result.columns)
    assert result.rows, f"{query.name} found nothing in the fixture"
    assert run_query(store, query, required).rows == result.rows  # deterministic order
    # every optional parameter can be bound (it must be in the SELECT projection)
    every = {p.name: "2023" if p.type == "gYear" else "zzz" for p in query.params}
    run_query(store, query, {**every, **required})


def test_who_what_where(store: ox.Store) -> None:
    result = run_query(store, "who-what-where")
    assert result.columns == ["organisation", "sector", "place", "year"]
    assert result.rows == [
        (ALIMA, "Gender-based violence", "Timbuktu", None),
        (ALIMA, "Health", "Koro", "2023"),
        (MSF, "Health", "Koro", "2023"),
        (MSF, "Nutrition", "Gourma Rharous", "2023"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"place": "Tombouctou"}, [(ALIMA, "Timbuktu"), (MSF, "Gourma Rharous")]),  # fr label
        ({"place": ID + "place/ml-5"}, [(ALIMA, "Koro"), (MSF, "Koro")]),  # IRI, place inside
        (
            {"place": "mali"},
            [(ALIMA, "Timbuktu"), (ALIMA, "Koro"), (MSF, "Koro"), (MSF, "Gourma Rharous")],
        ),
        ({"sector": "PROTECTION"}, [(ALIMA, "Timbuktu")]),  # sub-sector GBV
        ({"sector": "vbg"}, [(ALIMA, "Timbuktu")]),  # altLabel
        ({"sector": "Santé", "organisation": "msf"}, [(MSF, "Koro")]),  # acronym
        ({"organisation": "Medecins Sans Frontieres"}, [(MSF, "Koro"), (MSF, "Gourma Rharous")]),
        ({"year": "2023", "sector": "Protection"}, []),  # no year stated for that presence
        ({"year": "2022"}, []),
        ({"place": 'Timbuktu" } #'}, []),  # a value is a literal, never SPARQL text
        ({"place": "Timbuktu' } #"}, []),
        (
            {"place": None},
            [(ALIMA, "Timbuktu"), (ALIMA, "Koro"), (MSF, "Koro"), (MSF, "Gourma Rharous")],
        ),  # None = not given
        ({"place": ID + "place/atlantis"}, []),  # an IRI naming nothing
    ],
)
def test_who_what_where_filters(
    store: ox.Store, params: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    got = [(r[0], r[2]) for r in run_query(store, "who-what-where", params).rows]
    assert sorted(got) == sorted(expected)


def test_organisations_in_a_region_counts_work_in_its_cercles(store: ox.Store) -> None:
    result = run_query(store, "organisations-in", {"place": "Mopti"})
    assert result.columns == ["organisation", "sectors", "places", "reports"]
    assert result.rows == [
        (ALIMA, "Health", "Koro", "alima-mali"),
        (MSF, "Health; Nutrition", "Koro", "msf-mali-2023"),  # nutrition: an outcome in Koro
    ]
    assert rows(store, "organisations-in", place="Mali") == [
        (ALIMA, "Gender-based violence; Health", "Koro; Timbuktu", "alima-mali"),
        (MSF, "Health; Nutrition", "Gourma Rharous; Koro", "msf-mali-2023"),
    ]
    assert rows(store, "organisations-in", place="Gao") == []
    assert rows(store, "organisations-in", place="Niger") == []  # context figures don't count


def test_outcomes(store: ox.Store) -> None:
    result = run_query(store, "outcomes")
    assert result.columns == [
        "organisation",
        "indicator",
        "value",
        "qualifier",
        "year",
        "place",
        "quote",
        "report",
        "figure",
    ]
    assert result.rows == [
        (
            ALIMA,
            "Consultations",
            "250000",
            "approximately",
            "2023",
            "Koro",
            "some 250,000 medical consultations in 2023",
            "alima-mali",
            ID + "outcome/alima-mali/50-90",
        ),
        (
            MSF,
            "Children treated for SAM",
            "1200",
            "at least",
            "2023",
            "Gourma Rharous; Koro",
            "more than 1,200 children treated for severe acute malnutrition",
            "msf-mali-2023",
            ID + "outcome/msf-mali-2023/200-258",
        ),
        (
            MSF,
            "Consultations",
            "530000",
            "exact",
            "2023",
            "Koro",
            "530,000\nOutpatient consultations",
            "msf-mali-2023",
            ID + "outcome/msf-mali-2023/100-132",
        ),
    ]
    by_indicator = [r[2] for r in rows(store, "outcomes", indicator="outpatient consultations")]
    assert by_indicator == ["250000", "530000"]
    assert [r[2] for r in rows(store, "outcomes", sector="nutrition", place="Timbuktu")] == ["1200"]
    assert [r[2] for r in rows(store, "outcomes", organisation="ALIMA", year="2023")] == ["250000"]
    assert rows(store, "outcomes", place="Gao") == []


def test_partnerships(store: ox.Store) -> None:
    result = run_query(store, "partnerships")
    assert result.columns == ["organisation", "partner", "role", "report"]
    assert result.rows == [(ALIMA, AMCP, "implementing partner", "alima-mali")]
    assert rows(store, "partnerships", organisation="amcp-sp") == result.rows  # either side
    assert rows(store, "partnerships", role="funder") == []


def test_totals_are_honest_about_qualifiers(store: ox.Store) -> None:
    result = run_query(store, "totals")
    assert result.columns == [
        "indicator",
        "year",
        "total",
        "figures",
        "qualifiers",
        "organisations",
        "reports",
    ]
    assert result.rows == [
        ("Children treated for SAM", "2023", "1200", "1", "at least", "1", "1"),
        ("Consultations", "2023", "780000", "2", "approximately; exact", "2", "2"),
    ]
    assert rows(store, "totals", sector="Health", organisation="MSF") == [
        ("Consultations", "2023", "530000", "1", "exact", "1", "1"),
    ]


def test_totals_never_add_a_breakdown_to_its_headline(tmp_path: Path) -> None:
    breakdown = """
@prefix hkg: <https://w3id.org/humanitarian-kg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix id: <https://w3id.org/humanitarian-kg/id/> .
id:graph\\/report\\/msf-mali-2023 {
  id:outcome\\/msf-mali-2023\\/140-170 a hkg:Outcome ;
      hkg:reportedBy id:org\\/msf ; hkg:value "200000"^^xsd:decimal ;
      hkg:counted "consultations for children" ;
      hkg:indicator id:indicator\\/consultations ; hkg:sector id:sector\\/health ;
      hkg:year "2023"^^xsd:gYear ; hkg:unit "count" ;
      hkg:breakdownOf id:outcome\\/msf-mali-2023\\/100-132 ;
      prov:wasDerivedFrom id:report\\/msf-mali-2023 .
}
"""
    trig = tmp_path / "with-breakdown.trig"
    trig.write_text(FIXTURE.read_text(encoding="utf-8") + breakdown, encoding="utf-8")
    write_store(tmp_path / "store", trig)
    store = open_store(tmp_path / "store")
    assert ("Consultations", "2023", "780000", "2", "approximately; exact", "2", "2") in rows(
        store, "totals"
    )


def test_context_and_disagreements(store: ox.Store) -> None:
    context = run_query(store, "context")
    assert [(r[2], r[6]) for r in context.rows] == [("350000", "UNHCR"), ("400000", "OCHA 2023")]
    assert [r[2] for r in rows(store, "context", source="ocha", place="Mali")] == ["400000"]
    assert rows(store, "context-disagreements", indicator="IDPs") == [
        (
            "Internally displaced people",
            "2023",
            "Mali",
            "350000",
            "exact",
            "UNHCR",
            "alima-mali",
            "400000",
            "approximately",
            "OCHA 2023",
            "msf-mali-2023",
        ),
    ]


def test_overlaps_and_gaps(store: ox.Store) -> None:
    assert rows(store, "overlaps") == [("Koro", "Health", "2", f"{ALIMA}; {MSF}")]
    assert rows(store, "overlaps", place="Timbuktu") == []
    assert rows(store, "gaps", country="ML", sector="health") == [
        ("Gao", "Health"),
        ("Timbuktu", "Health"),
    ]
    assert rows(store, "gaps", country="Mali", sector="Protection") == [
        ("Gao", "Protection"),
        ("Mopti", "Protection"),  # GBV in Timbuktu is protection work
    ]
    assert rows(store, "gaps", country="Niger", sector="Health") == [("Tillabéri", "Health")]


def test_values_that_name_nothing_give_no_rows(store: ox.Store) -> None:
    assert rows(store, "who-what-where", place="Atlantis") == []
    assert rows(store, "outcomes", organisation="Nobody") == []
    assert rows(store, "totals", sector="Astronomy") == []
    assert rows(store, "gaps", country="Atlantis") == []
    assert rows(store, "partnerships", role="implementing partner") == rows(store, "partnerships")
    # year: the GBV presence states none, so with a year Timbuktu lacks protection work too
    assert rows(store, "gaps", country="Mali", sector="Protection", year="2023") == [
        ("Gao", "Protection"),
        ("Mopti", "Protection"),
        ("Timbuktu", "Protection"),
    ]


def test_provenance(store: ox.Store) -> None:
    figure = ID + "outcome/msf-mali-2023/100-132"
    result = run_query(store, "provenance", {"figure": figure})
    assert result.columns == ["figure", "kind", "report", "start", "end", "quote"]
    assert result.rows == [
        (figure, "Outcome", "msf-mali-2023", "100", "132", "530,000\nOutpatient consultations"),
    ]
    spans = rows(store, "provenance", report="alima-mali")
    assert len(spans) == 5
    assert rows(store, "provenance", report=ID + "report/alima-mali") == spans
    # figure and report both given: the figure only if the report is the one it came from
    assert rows(store, "provenance", figure=figure, report="MSF-Mali-2023") == result.rows
    assert rows(store, "provenance", figure=figure, report="alima-mali") == []
    # a figure that is not an IRI, or names nothing, gives no rows (not every figure)
    assert rows(store, "provenance", figure="not an IRI") == []
    assert rows(store, "provenance", figure=ID + "outcome/nowhere/1-2") == []
    assert all(
        len(quote or "") == int(end or 0) - int(start or 0)
        for _, _, _, start, end, quote in rows(store, "provenance")
    )


# --- parameters and errors -------------------------------------------------------------------


def test_unknown_query_lists_the_known_ones() -> None:
    with pytest.raises(UnknownQueryError, match="who-what-where") as info:
        load_query("who-does-what")
    assert "unknown query 'who-does-what'" in str(info.value)
    with pytest.raises(UnknownQueryError, match="no query file"):
        load_query(Path("nowhere/else.rq"))


def test_unknown_and_missing_params(store: ox.Store) -> None:
    with pytest.raises(QueryParamError, match="place, sector, organisation, year") as info:
        run_query(store, "who-what-where", {"country": "Mali"})
    assert "'country'" in str(info.value)
    with pytest.raises(QueryParamError, match="needs parameter 'place'"):
        run_query(store, "organisations-in")
    with pytest.raises(QueryParamError, match="four-digit year"):
        run_query(store, "who-what-where", {"year": "2023; DROP"})
    with pytest.raises(QueryParamError, match="empty"):
        run_query(store, "who-what-where", {"place": "  "})


def test_header_is_parsed() -> None:
    query = load_query("who-what-where")
    assert query.title == "Who does what where"
    assert [(p.name, p.required, p.type) for p in query.params] == [
        ("place", False, "string"),
        ("sector", False, "string"),
        ("organisation", False, "string"),
        ("year", False, "gYear"),
    ]
    assert query.params[0].doc == "a place label or IRI; includes places inside it"
    assert load_query("organisations-in").params[0].required


def test_header_must_match_the_variables() -> None:
    with pytest.raises(QueryDefinitionError, match="without a `# param:` line"):
        parse_query("SELECT ?param_x WHERE { }")
    with pytest.raises(QueryDefinitionError, match="never uses"):
        parse_query("# param: x (optional) — doc\nSELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryDefinitionError, match="optional or required"):
        parse_query("# param: x (maybe) — doc\nSELECT ?param_x WHERE { }")


def test_load_by_path_and_run_text(store: ox.Store, tmp_path: Path) -> None:
    copy = tmp_path / "mine.rq"
    copy.write_text((asset_dir("queries") / "partnerships.rq").read_text(encoding="utf-8"))
    assert load_query(copy).name == "mine"
    assert run_query(store, str(copy)).rows == rows(store, "partnerships")
    text = (
        "PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#>\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a hkg:Report }"
    )
    assert run_query(store, text).rows == [("2",)]
    assert run_query(store, "ASK { ?s ?p ?o }").rows == [("true",)]


def test_result_formats() -> None:
    result = QueryResult(["a", "b"], [("x, y", None), ("line\nbreak", "2")])
    assert result.to_csv() == 'a,b\n"x, y",\n"line\nbreak",2\n'
    assert json.loads(result.to_json()) == [
        {"a": "x, y", "b": None},
        {"a": "line\nbreak", "b": "2"},
    ]
    assert result.to_table().splitlines() == [
        "a           b",
        "----------  -",
        "x, y",
        "line break  2",
    ]
