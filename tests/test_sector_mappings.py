"""Issue 18: sectors carry the official cluster codes and match the humanitarian code lists,
as an SSSOM mapping set (data/reference/sectors.sssom.tsv) loaded into the reference graph;
countries carry the ISO 3166-1 alpha-3 and UN M49 codes other data use."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg import resources
from kg.namespaces import HKG
from kg.reference.loader import SECTOR_MAPPINGS_FILE, add_sector_mappings, build_graphs

MAPPINGS = resources.asset_dir("reference") / SECTOR_MAPPINGS_FILE
SECTOR = "https://w3id.org/humanitarian-kg/id/sector/"
GCG = "https://data.humdata.org/dataset/global-coordination-groups-beta#"


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    return build_graphs()


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore:.*copy_on_write.*")
def test_the_mapping_set_is_valid_sssom() -> None:
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    msdf = parse_sssom_table(str(MAPPINGS))
    assert len(msdf.df) > 40
    reports = validate(
        msdf,
        [
            SchemaValidationType.JsonSchema,
            SchemaValidationType.PrefixMapCompleteness,
            SchemaValidationType.StrictCurieFormat,
        ],
        fail_on_error=False,
    )
    assert {kind: report.results for kind, report in reports.items()} == {
        kind: [] for kind in reports
    }


def test_sectors_carry_the_official_cluster_codes(graphs: tuple[Graph, Graph]) -> None:
    ontology, reference = graphs
    notation = {
        str(s).removeprefix(SECTOR): str(o) for s, o in reference.subject_objects(SKOS.notation)
    }
    assert notation["emergency-telecommunications"] == "TEL"  # not the invented "ETC"
    assert notation["health"] == "HEA" and notation["gbv"] == "PRO-GBV"
    assert (URIRef(SECTOR + "wash"), SKOS.exactMatch, URIRef(GCG + "WSH")) in reference
    # our own sub-sectors have no notation of their own: each is narrower than an official one
    both = ontology + reference
    for sector in both.subjects(RDF.type, HKG.Sector):
        if (sector, SKOS.notation, None) not in both:
            assert any(
                (broader, SKOS.notation, None) in both
                for broader in both.objects(sector, SKOS.broader)
            ), sector


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("sector:no-such\tX\tskos:exactMatch\tgcg:HEA", "is no sector of the ontology"),
        ("sector:health\tHealth\towl:sameAs\tgcg:HEA", "predicate 'owl:sameAs'"),
        ("sector:health\tHealth\tskos:exactMatch\tunknown:HEA", "is no CURIE of the curie_map"),
    ],
)
def test_a_bad_mapping_row_is_refused_with_its_line(
    graphs: tuple[Graph, Graph], tmp_path: Path, row: str, message: str
) -> None:
    ontology, _ = graphs
    path = tmp_path / "sectors.sssom.tsv"
    path.write_text(
        "# curie_map:\n#   sector: " + SECTOR + "\n#   gcg: " + GCG + "\n"
        "subject_id\tsubject_label\tpredicate_id\tobject_id\n" + row + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=message) as error:
        add_sector_mappings(Graph(), ontology, path)
    assert "sectors.sssom.tsv:5" in str(error.value)


def test_countries_carry_their_alpha3_and_m49_codes(graphs: tuple[Graph, Graph]) -> None:
    _, reference = graphs
    mali = URIRef("https://w3id.org/humanitarian-kg/id/place/ml")
    assert str(reference.value(mali, HKG.iso3166Alpha3)) == "MLI"
    assert str(reference.value(mali, HKG.m49Code)) == "466"
    countries = set(reference.subjects(RDF.type, HKG.Country))
    assert countries == set(reference.subjects(HKG.m49Code, None))
    assert len({str(o) for o in reference.objects(None, HKG.iso3166Alpha3)}) == len(countries)
