"""Issue 17: one fixture report of our own writing per phenomenon of reports from anywhere.

`tests/fixtures/phenomena/<name>.txt` has no sidecar (publisher and country come from the text)
and `<name>.expected.json` is the careful reading, compared as data by `check_report` (see
`extraction_expectations.py`): Spanish key figures and number words, French round numbers and
periods, a dated situation report with camps and towns, place names in exonyms with no country
named, tables, ranges and breakdowns, and a page that names no publisher. The tests below add
what the reading format cannot say: how sure the publisher is, what kind of place each is, and
a P-code gazetteer dropped into `data/gazetteers/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extraction_expectations import check_report
from kg import resources
from kg.build.pipeline import extraction_warnings
from kg.extract import extract_report, extract_text
from kg.extract.entities import _spelt_by
from kg.reference.loader import GazetteerError, forget_reference
from kg.reports import read_report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "phenomena"
REPORTS = sorted(
    p for p in FIXTURES.glob("*.txt") if (FIXTURES / f"{p.stem}.expected.json").exists()
)
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_phenomenon_report(path: Path) -> None:
    check = check_report(path, FIXTURES / f"{path.stem}.expected.json")
    problems = check.problems()
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def extract(name: str):  # type: ignore[no-untyped-def]
    return extract_report(read_report(FIXTURES / f"{name}.txt"))


def test_a_publisher_the_reference_lacks_is_found_from_its_self_description() -> None:
    for name, label in (
        ("es-cifras-clave", "Fundación Manos Unidas"),
        ("fr-chiffres-cles", "Solidarité Kivu Santé"),
        ("en-sitrep-camps", "Kakuma Relief Alliance"),
    ):
        extraction = extract(name)
        assert extraction.publisher is not None and extraction.publisher.label == label
        assert extraction.publisher_confidence == "high", extraction.publisher_evidence
        assert any("describes itself" in e for e in extraction.publisher_evidence)
        assert extraction_warnings(extraction) == []


def test_a_page_that_names_no_publisher_says_so_and_warns() -> None:
    extraction = extract("en-no-publisher")
    assert extraction.publisher is None and extraction.publisher_confidence == "none"
    assert extraction.to_json()["publisher_confidence"] == "none"
    [warning] = extraction_warnings(extraction)
    assert "en-no-publisher.txt" in warning and "no publisher" in warning


def test_the_most_named_organisation_is_not_the_publisher() -> None:
    text = (
        "Funded by UNICEF. UNICEF supplies arrive weekly; UNICEF staff visit monthly.\n"
        "At Hope Relief Network, we treated 1,200 children in Juba in 2023."
    )
    extraction = extract_text(text)
    assert extraction.publisher is not None
    assert extraction.publisher.label == "Hope Relief Network"


def test_places_are_towns_camps_and_admin_areas_with_the_names_the_text_uses() -> None:
    places = {p.label: p for p in extract("en-sitrep-camps").places}
    camp = places["Kakuma refugee camp"]
    assert camp.kind == "camp" and camp.level == 4
    assert camp.parent == "https://w3id.org/humanitarian-kg/id/place/ke"
    assert places["Kalobeyei settlement"].kind == "camp"
    town = places["Lokichokio"]  # GeoNames' spelling; the text says "Lokichogio"
    assert town.kind == "town" and town.geonames and "Lokichogio" in town.names
    assert town.lat is not None and town.lon is not None
    county = places["Turkana"]
    assert county.kind == "reference" and "Turkana County" in county.names


def test_the_country_is_inferred_from_its_places_when_the_page_never_names_it() -> None:
    extraction = extract("en-exonyms-ukraine")
    assert extraction.country is not None and extraction.country.label == "Ukraine"
    names = {n for p in extraction.places for n in p.names}
    assert {"Kiev", "Kharkov", "Odessa"} <= names


def test_a_bare_congo_with_congolese_provinces_is_the_democratic_republic() -> None:
    text = "Our teams in Congo treated 3,000 cholera patients in North Kivu and Ituri in 2023."
    extraction = extract_text(text, publisher="MSF")
    assert extraction.country is not None and extraction.country.iri.endswith("/place/cd")


def test_places_no_reference_holds_are_described_in_the_report_graph() -> None:
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDFS

    from kg.emit import emit_report
    from kg.namespaces import HKG

    extraction = extract("en-sitrep-camps")
    graph = emit_report(extraction)
    described = [p for f in extraction.figures() for p in f.places if p.kind != "reference"] + [
        p.place for p in extraction.presences if p.place.kind != "reference"
    ]
    assert described, "the fixture's figures name towns and camps"
    for place in described:
        node = URIRef(place.iri)
        assert (node, RDFS.label, Literal(place.label)) in graph
        assert (node, HKG.adminLevel, None) in graph and (node, HKG.partOf, None) in graph
        if place.kind == "town":
            assert (node, HKG.geonamesId, None) in graph
        else:
            assert (node, HKG.newlyDetected, Literal(True)) in graph


@pytest.fixture()
def home_with_gazetteer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's data with the fixture P-code table in data/gazetteers/."""
    home = tmp_path / "home"
    for part in ("ontology", "shapes", "queries", "data/reference", "data/lexicon"):
        shutil.copytree(ROOT / part, home / part)
    (home / "data" / "gazetteers").mkdir(parents=True)
    shutil.copy(
        ROOT / "tests" / "fixtures" / "gazetteers" / "tcd-adm2-fixture.csv",
        home / "data" / "gazetteers",
    )
    (home / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("KG_HOME", str(home))
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    resources.clear_cache()
    forget_reference()
    from kg.extract import lexicons

    monkeypatch.setattr(lexicons, "_BUILT", {})
    yield home
    resources.clear_cache()
    forget_reference()


@pytest.mark.slow
def test_a_pcode_gazetteer_resolves_admin2_names_to_their_pcodes(
    home_with_gazetteer: Path,
) -> None:
    extraction = extract_report(read_report(FIXTURES / "fr-pcodes-tchad.txt"))
    by_label = {p.label: p for p in extraction.places}
    assert by_label["Assoungha"].iri.endswith("/place/tdx0101")
    assert by_label["Abdi"].iri.endswith("/place/tdx0103")
    assert by_label["Assoungha"].level == 2
    from kg.reference.loader import load_reference

    reference = load_reference()
    assoungha = reference.places["https://w3id.org/humanitarian-kg/id/place/tdx0101"]
    assert assoungha.pcode == "TDX0101"
    ouaddai = reference.places[assoungha.parent or ""]
    assert ouaddai.iso == "TD-OD" and ouaddai.pcode == "TDX01"  # ISO's region, P-code added


@pytest.mark.slow
def test_a_file_that_is_no_pcode_table_is_refused_with_its_name(
    home_with_gazetteer: Path,
) -> None:
    bad = home_with_gazetteer / "data" / "gazetteers" / "notes.csv"
    bad.write_text("name,population\nAbeche,80000\n", encoding="utf-8")
    forget_reference()
    from kg.reference.loader import build_graphs

    with pytest.raises(GazetteerError, match=r"notes\.csv:1: no admin1Pcode"):
        build_graphs()


@pytest.mark.slow
def test_kg_build_names_a_report_with_no_publisher_and_builds_the_rest(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copy(FIXTURES / "en-no-publisher.txt", reports)
    shutil.copy(FIXTURES / "en-tables-breakdowns.txt", reports)
    result = CliRunner().invoke(
        app, ["build", str(reports), "--store", str(tmp_path / "store"), "--workers", "1"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "en-no-publisher.txt: no publisher" in output and "sidecar" in output
    assert "1 built, 1 failed" in output


@pytest.mark.slow
def test_kg_build_warns_about_a_publisher_found_on_weak_evidence(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "weak.txt").write_text(
        "Flood update\n\nUNICEF estimates that 40,000 children need help in Sindh.\n",
        encoding="utf-8",
    )
    extraction = extract_report(read_report(reports / "weak.txt"))
    assert extraction.publisher_confidence == "low"
    result = CliRunner().invoke(
        app, ["build", str(reports), "--store", str(tmp_path / "store"), "--workers", "1"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "warning:" in output and "weak.txt: publisher 'UNICEF' found on weak evidence" in output


def _partners(text: str) -> dict[str, str]:
    return {p.label: p.role for p in extract_text(text).partners}


def test_public_bodies_named_by_what_they_are_are_government_counterparts() -> None:
    partners = _partners(
        "In 2023, UNICEF, in collaboration with local and national authorities, vaccinated "
        "12,000 children in Kenya. UNICEF handed over the cold chain to the Kenyan health "
        "authorities."
    )
    assert partners["local and national authorities"] == "government-counterpart"
    assert partners["Kenyan health authorities"] == "government-counterpart"
    es = _partners(
        "UNICEF, en coordinación con autoridades nacionales y departamentales, entregó 90 "
        "carpas en Bolivia en 2007."
    )
    assert es == {"autoridades nacionales y departamentales": "government-counterpart"}
    # the list names them: "public authorities" is no body of its own
    listed = _partners(
        "Türk Kızılay worked along with public authorities such as AFAD and UMKE, and "
        "distributed 3,000 tents in Türkiye in 2020."
    )
    assert "public authorities" not in listed


def test_organisations_listed_with_the_publisher_acted_with_it() -> None:
    partners = _partners(
        "In August 2020, the centre in Pemba, Mozambique, was rehabilitated by United Nations "
        "agencies (WFP, World Health Organization,\nUnited Nations Children’s Fund and "
        "International Organization for Migration), non-governmental organizations (Médecins "
        "Sans Frontières). WFP assisted 51,450 people in Pemba."
    )
    assert {
        "World Health Organization",
        "UNICEF",
        "International Organization for Migration",
        "Médecins Sans Frontières",
    } <= set(partners)


def test_two_foundations_joined_by_y_are_two_funders() -> None:
    partners = _partners(
        "Con el apoyo de Fundación Renacer, Fundación Poma y Focus Central America Foundation, "
        "FUSAL atendió a 717 niños en Usulután, El Salvador, en 2022."
    )
    assert {"Fundación Renacer", "Fundación Poma", "Focus Central America Foundation"} <= set(
        partners
    )
    assert "Fundación Poma y Focus Central America Foundation" not in partners


def test_a_news_dateline_dates_the_figures_below_it() -> None:
    for text in (
        "Shelter kits for Nepal\n\nMANILA (September 11, 2015) Habitat for Humanity has "
        "distributed 5,065 shelter kits to families in Gorkha, Nepal.",
        "Inundaciones\n\nLa Paz / Bolivia, 20 de Febrero de 2007 - UNICEF entregó 90 carpas a "
        "las familias afectadas en Beni, Bolivia.",
        # the place and date on a line of their own below the title
        "Ramadan aid in Tajikistan\nCentralAsia, Tajikistan 05.09.2009\n\nIHH teams distributed "
        "food to 370 families in Dushanbe.",
    ):
        extraction = extract_text(text)
        assert [(f.value, f.year) for f in extraction.outcomes] in (
            [(5065, 2015)],
            [(90, 2007)],
            [(370, 2009)],
        ), text


def test_a_sentence_ending_with_a_date_is_no_dateline() -> None:
    text = (
        "Floods\nHome\nAbout\nNews\nDonate\nContact\nDistribution ended on "
        "5 March 2020\n\nWe distributed food to 370 families in Dushanbe."
    )
    assert [f.year for f in extract_text(text).outcomes] == [None]


def test_a_bulleted_key_figure_above_its_label_under_a_dated_lead_in() -> None:
    text = (
        "Sénégal\n\nLe CICR assiste les victimes des violences en Casamance.\n\nEn chiffres\n\n"
        "En 2016 :\n\n  • 2 460\n    personnes de retour ont reconstruit 262 maisons.\n"
        "  • 750\n    détenus ont été visités en Casamance.\n"
    )
    outcomes = {(f.value, f.year) for f in extract_text(text).outcomes}
    assert {(2460, 2016), (262, 2016), (750, 2016)} <= outcomes


def test_a_paragraph_opening_in_addition_keeps_the_year_above() -> None:
    text = (
        "Between 2020 and 2022, we supported young leaders in Myanmar.\n"
        "In addition, we supported 11 NGOs in Mon State. These initiatives reached more than "
        "14,500 people."
    )
    years = {f.value: f.year for f in extract_text(text).figures()}
    assert years[11] == 2022 and years[14500] == 2022


def test_a_publisher_unknown_to_the_reference_found_from_how_the_page_speaks() -> None:
    for text, label in (
        (
            "Dos años de acogida\n\nDesde agosto de 2021, en Accem hemos atendido a un total "
            "de 859 personas afganas en España.",
            "Accem",
        ),
        (
            "Respuesta de Ayuda Solidaria Estelí ante el huracán Iota\n\nEn 2020 entregamos 466 "
            "paquetes de alimentos a familias de Estelí, Nicaragua.",
            "Ayuda Solidaria Estelí",
        ),
        (
            "Fiona\n\nSanto Domingo, República Dominicana. – La Cruz Roja Dominicana informó "
            "que más de 48 mil familias han sido beneficiadas con su asistencia.",
            "Cruz Roja Dominicana",
        ),
    ):
        extraction = extract_text(text)
        assert extraction.publisher is not None, text
        assert extraction.publisher.label == label, extraction.publisher_evidence


def test_the_organisation_a_page_works_with_is_not_its_publisher() -> None:
    extraction = extract_text(
        "Séisme\n\nNos équipes travaillent en collaboration avec la Croix-Rouge suédoise, "
        "chargée d'installer 40 latrines au Maroc."
    )
    assert extraction.publisher is None or extraction.publisher.label != "Swedish Red Cross"


def test_figures_listed_after_one_verb_share_its_kind_and_what_it_counted() -> None:
    outcomes = extract_text(
        "In August 2020, WFP provided food assistance to 179,875 internally displaced persons "
        "(IDPs) in Cabo Delgado and 11,932 IDPs in Nampula. WFP assisted 104,873 vulnerable "
        "persons in Sofala, 37,560 in Manica and 45,375 in Gaza, Mozambique."
    ).outcomes
    got = {f.value: f.counted for f in outcomes}
    assert {179875, 11932, 104873, 37560, 45375} <= set(got)
    assert got[37560] == got[104873]


def test_a_count_of_the_places_the_publisher_works_in_is_areas_covered() -> None:
    extraction = extract_text(
        "In 2024, MSF ran nutrition programmes in five states of northwest Nigeria. Flooding "
        "hit five states of Nigeria."
    )
    [covered] = [f for f in extraction.outcomes if f.value == 5]
    assert covered.indicator is not None
    assert covered.indicator.iri.endswith("/indicator/areas-covered")
    assert [f.value for f in extraction.context_figures] == []


def test_qualifiers_sharing_a_name_and_compass_names_written_as_one_word() -> None:
    places = {
        p.label
        for p in extract_text(
            "In 2023, the ICRC distributed seeds to 252,000 people in North, Central and South "
            "Darfur, Sudan."
        ).places
    }
    assert {"North Darfur", "Central Darfur", "South Darfur"} <= places
    cameroon = extract_text(
        "NRC opened an office in the Southwest in 2018 and assisted 12,000 people in Cameroon."
    )
    assert any("South-West" in p.names or "Southwest" in p.names for p in cameroon.places)


def test_a_district_the_gazetteer_lacks_is_no_town_of_that_name() -> None:
    [lalitpur] = [
        p
        for p in extract_text(
            "In 2015, Habitat for Humanity distributed 5,065 shelter kits to families in "
            "Gorkha and Lalitpur districts, Nepal."
        ).places
        if "Lalitpur" in p.names
    ]
    assert lalitpur.label == "Lalitpur" and lalitpur.level == 2 and lalitpur.kind == "new"


def test_partners_worked_with_or_strengthened_keep_their_nationality() -> None:
    partners = _partners(
        "En 2024, nos équipes ont réhabilité 15 points d'eau au Maroc en complémentarité avec "
        "la Croix-Rouge suédoise. Notre objectif est de renforcer les capacités du "
        "Croissant-Rouge marocain."
    )
    assert partners.get("Swedish Red Cross") == "partner"  # the reference knows it
    assert partners.get("Croissant-Rouge marocain") == "partner"


def test_a_public_body_named_twice_is_one_partner_with_its_longest_name() -> None:
    partners = _partners(
        "In 2018, UNHCR coordinated with the Libyan Ministry of Interior the delivery of food "
        "to 2,450 refugees in Tripoli, Libya."
    )
    assert list(partners) == ["Libyan Ministry of Interior"]


def test_participles_of_work_and_plans_told_after_the_count() -> None:
    french = extract_text(
        "Entre janvier et septembre 2013, le CICR a mené les activités suivantes en Côte "
        "d'Ivoire :\n  • visité plus de 10 666 détenus ;\n"
    )
    assert [f.value for f in french.outcomes] == [10666]
    english = extract_text(
        "In 2019, 1,858 refugees were evacuated from Libya by UNHCR. A batch of 600 refugees "
        "set to be resettled from Jordan to Sweden."
    )
    assert [f.value for f in english.outcomes] == [1858]


def test_a_photo_credit_organisation_slash_photographer_speaks_for_the_publisher() -> None:
    extraction = extract_text(
        "Venezuela - Octubre 2020\n\nInforme de situación\n\n"
        "  • Llegaron a Venezuela 340.000 pruebas gestionadas por la Organización Panamericana "
        "de la Salud (OPS).\n"
        "Septiembre 2020. Maracaibo, Zulia, Venezuela. Consulta médica. OCHA/Naomi Frerotte\n"
    )
    assert extraction.publisher is not None and extraction.publisher.label == "OCHA"
    assert any("photo credit" in e for e in extraction.publisher_evidence)


def test_the_organisation_implementing_the_page_s_project_and_not_the_project() -> None:
    extraction = extract_text(
        "Nos projets\nSOLID\nProgramme transfrontalier sur les Solutions Durables (SOLID)\n"
        "Le projet CamPAGA, mis en œuvre par APROSPEN en partenariat avec le Conseil Danois "
        "pour les Réfugiés (DRC), a sensibilisé 160 personnes au Cameroun en décembre 2024."
    )
    assert extraction.publisher is not None and extraction.publisher.label == "APROSPEN"


def test_a_mission_start_year_dates_neither_the_page_nor_its_figures() -> None:
    extraction = extract_text(
        "Cameroun\nDébut de la mission : 2016\nChiffres clés ALIMA\n- 32 026 consultations "
        "prénatales\nAu Cameroun en 2020, ALIMA a soigné 65 264 enfants.\n"
    )
    assert extraction.document_year != 2016
    assert all(f.year != 2016 for f in extraction.outcomes)


def test_a_full_date_in_a_title_below_navigation_dates_the_page() -> None:
    extraction = extract_text(
        "Home » News »\n\nGaza Situation Updates 31/12/2008\n\nThe Palestine Red Crescent "
        "Society deployed 200 volunteers and 60 medics across the Gaza Strip.\n"
    )
    assert extraction.document_year == 2008
    assert {f.value: f.year for f in extraction.outcomes} == {200: 2008, 60: 2008}


def test_the_page_s_source_field_and_an_acting_national_society_name_the_publisher() -> None:
    field = extract_text(
        "Países\nChile\nFuentes\nCruz Roja Chilena\nFecha de publicación\n\n"
        "Un equipo se encuentra en Colchane. Se entregaron 56 kits de alimentos.\n"
    )
    assert field.publisher is not None and field.publisher.label == "Cruz Roja Chilena"
    assert any("source" in e for e in field.publisher_evidence)
    acting = extract_text(
        "Chile. Al momento, Cruz Roja Chilena ha entregado 56 kits de alimentos en Colchane.\n"
    )
    assert acting.publisher is not None and acting.publisher.label == "Cruz Roja Chilena"


def test_a_programme_or_a_generic_red_cross_is_no_publisher() -> None:
    extraction = extract_text(
        "El Salvador. El Programa de Primera Infancia de FUSAL benefició a 3.000 niños. "
        "The Red Cross distributed 500 kits.\n"
    )
    label = extraction.publisher.label if extraction.publisher else None
    assert label not in {"Primera Infancia de FUSAL", "Programa de Primera Infancia de FUSAL"}
    assert label != "Red Cross"


def test_partners_after_a_cue_without_an_organisation_word_and_split_at_an_article() -> None:
    spanish = extract_text(
        "Nigeria. Acción contra el Hambre trabaja de la mano de Agua Rural de Nigeria y la "
        "Agencia de Saneamiento para rehabilitar 40 puntos de agua.\n"
    )
    assert sorted(p.label for p in spanish.partners) == [
        "Agencia de Saneamiento",
        "Agua Rural de Nigeria",
    ]
    french = extract_text(
        "Cameroun. ALIMA, en partenariat avec l’ONG nationale DEMTOU humanitaire, a soigné "
        "3 000 enfants.\n"
    )
    assert [(p.label, p.role) for p in french.partners] == [("DEMTOU", "implementing-partner")]
    phrase = extract_text(
        "DRC. As part of World Vaccination month, UNICEF vaccinated 4,244 children.\n"
    )
    assert phrase.partners == []
    project = extract_text(
        "Mali. In 2022 as part of the AIRE project, ALIMA trained 300 health workers.\n"
    )
    assert project.partners == []  # a project's acronym, no partner


def test_partners_named_as_an_ngo_or_as_the_funder_of_a_programme() -> None:
    """Regression (issue 17, third blind set): "l'ONG Caritas" named no partner, "L'ONG
    fournit…" (the publisher, by its kind) became a partner called "ONG", and a name used as
    the adjective of funding ("an ECHO-funded project") was not read as a funder."""
    caritas = extract_text(
        "Congo. En 2018, le PAM a distribué 300 tonnes de vivres avec l’ONG Caritas "
        "(partenaire de mise en œuvre du PAM) dans le Pool.\n"
    )
    assert [p.label for p in caritas.partners] == ["Caritas"]
    itself = extract_text(
        "Syrie. Première Urgence Internationale est présente depuis 2008 en Syrie. L’ONG "
        "fournit une réponse d’urgence à 12 000 personnes déplacées.\n"
    )
    assert itself.partners == []
    funded = extract_text(
        "Kenya. In 2023, IRC ran an ECHO-funded project that reached 5,000 people in Turkana.\n"
    )
    assert [(p.label, p.role) for p in funded.partners] == [("DG ECHO", "funder")]
    verb = extract_text("Kenya. In 2023, ECHO funded 12 schools in Turkana.\n")
    assert all(p.role != "funder" for p in verb.partners)


def test_places_in_spanish_word_order_with_an_arabic_article_or_a_type_word_before() -> None:
    extraction = extract_text(
        "Sudán. MSF trabaja en Darfur Norte y en Al Gedaref. En 2017, MSF atendió 541 partos "
        "en el campo de Sortoni.\nChile. Cruz Roja Chilena entregó 56 kits en Colchane, "
        "Región de Tarapacá.\n"
    )
    names = {p.label: set(p.names) for p in extraction.places}
    assert "Darfur Norte" in names["North Darfur"]
    assert "Al Gedaref" in names["Gedaref"]
    assert "Sortoni" in names
    assert "Región" not in names  # a type word is no place


def test_a_region_after_an_elided_article_is_a_place() -> None:
    extraction = extract_text(
        "Cameroun. ALIMA intervient à l’Extrême-Nord dans 3 districts sanitaires.\n"
    )
    assert [p.label for p in extraction.places] == ["Far North"]


def test_a_town_of_two_capitalised_words_after_a_preposition_in_a_work_sentence() -> None:
    extraction = extract_text(
        "Tchad. En 2016, MSF a dispensé 81 000 consultations médicales à Baga Sola.\n"
    )
    assert "Baga Sola" in {p.label for p in extraction.places}


def test_two_equal_figures_of_one_list_are_not_a_repeat() -> None:
    extraction = extract_text(
        "Bangladesh. In 2017, BRAC repaired 16 bathing cubicles, 13 deep tube wells and 13 "
        "shallow tube wells.\n"
    )
    assert sorted(f.value for f in extraction.outcomes) == [13, 13, 16]


def test_a_second_figure_with_its_noun_left_out_counts_the_first_one_s() -> None:
    extraction = extract_text(
        "Chile. Al momento, Cruz Roja Chilena ha entregado 56 kits de alimentos para viajeros y "
        "50 de abrigo.\n"
    )
    assert sorted(f.value for f in extraction.outcomes) == [50, 56]


def test_beds_requests_and_calls_are_counted_things() -> None:
    for text, value in (
        (
            "Afghanistan. In 2014, MSF increased the capacity of the Kunduz trauma centre to "
            "70 beds.",
            70,
        ),
        ("Burkina Faso. En 2021, le CICR a ouvert 300 demandes de recherche.", 300),
        ("Chile. La Cruz Roja Chilena realizó 11 llamadas a familiares.", 11),
    ):
        assert [f.value for f in extract_text(text).outcomes] == [value], text


def test_children_at_risk_or_suffering_are_the_situation() -> None:
    for text in (
        "Nigeria. Acción contra el Hambre trabaja en Nigeria. Hay 800.000 niños en riesgo de "
        "desnutrición en el norte.",
        "Cameroun. ALIMA intervient au Cameroun. 41 000 enfants de moins de 5 ans souffrent de "
        "malnutrition aiguë sévère dans l’Extrême-Nord.",
    ):
        extraction = extract_text(text)
        assert extraction.outcomes == [], text
        assert len(extraction.context_figures) == 1, text


def test_a_movement_page_names_national_societies_as_partners() -> None:
    extraction = extract_text(
        "Uganda. The Uganda Red Cross Society and the International Federation of Red Cross and "
        "Red Crescent Societies (IFRC) are scaling up water treatment for 86,000 refugees. The "
        "new facility was set up by specialists from IFRC and the Swedish, Austrian and German "
        "Red Cross Societies. A Charity Red Cross appeal is not a society.\n"
    )
    assert extraction.publisher is not None and extraction.publisher.label.startswith(
        "International Federation"
    )
    names = {p.label for p in extraction.partners}
    assert {"Swedish Red Cross", "Austrian Red Cross", "German Red Cross"} <= {
        n for p in extraction.partners for n in p.names
    } | names
    assert not any("Charity" in n for p in extraction.partners for n in p.names)


def test_a_page_in_the_first_person_naming_one_agency_is_that_agency_s() -> None:
    text = (
        "Nigeria\nEn 2010, el Ministerio de Salud elaboró las directrices nacionales con el "
        "apoyo de "
        "Acción contra el Hambre.\nEstamos enfocados en ayudar a las comunidades. Desde que "
        "trabajamos en Nigeria, hemos apoyado a 200 centros de salud.\n"
    )
    extraction = extract_text(text)
    assert extraction.publisher is not None
    assert extraction.publisher.label == "Action Against Hunger"
    assert extraction.publisher_confidence == "low"
    partner = extract_text(text + "También trabajamos con UNICEF.\n")
    assert partner.publisher == extraction.publisher  # UNICEF works with "us": not "us"


def test_the_publisher_s_own_sentence_names_its_sector_beside_the_situation() -> None:
    extraction = extract_text(
        "Uganda. The Uganda Red Cross Society is scaling up water and sanitation services "
        "as thousands of refugees fleeing South Sudan arrive daily. It "
        "supplied 400,000 litres a day in 2017.\n"
    )
    assert "WASH" in {s.label for s in extraction.sectors}


def test_returns_crossings_arrivals_and_famine_are_the_situation() -> None:
    for text in (
        "Somalia. WFP assisted 1.2 million people in 2024. Some 323,000 people are in IPC "
        "Phase 4 (Emergency).",
        "Libya. UNHCR evacuated 1,858 refugees in 2018. Some 20,129 persons arrived in Italy "
        "by sea in 2018.",
        "Perú. Save the Children atendió a 5.000 niños en 2019. Más de 728.120 venezolanos "
        "cruzaron la frontera en 2019.",
    ):
        extraction = extract_text(text)
        assert len(extraction.outcomes) == 1, text
        assert len(extraction.context_figures) == 1, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kenya. In 2023, CARE reached 12,000 people through its partners ALDEF and WASDA.",
            {("ALDEF", "implementing-partner"), ("WASDA", "implementing-partner")},
        ),
        (
            "Kenya. In 2023, CARE worked alongside the County Government of Turkana to reach "
            "12,000 people.",
            {("County Government of Turkana", "government-counterpart")},
        ),
        (
            "Niger. En 2023, CARE a appuyé 12 000 personnes en collaboration avec la Direction "
            "régionale de la santé de Maradi.",
            {("Direction régionale de la santé de Maradi", "government-counterpart")},
        ),
        (
            "Kenya. Thanks to the support of the Government of Japan, CARE reached 12,000 people "
            "in 2023.",
            {("Government of Japan", "funder")},
        ),
        (
            "El Salvador. El programa atendió a 3.000 niños en conjunto con SAHF – Salvadoran "
            "American Humanitarian Foundation - fundación hermana de FUSAL.",
            {("Salvadoran American Humanitarian Foundation", "partner")},
        ),
        # regressions (issue 17, fourth round): partners named through a relation
        (
            "Mozambique. In 2022, WFP and the National Institute of Social Action (INAS) signed "
            "an agreement to assist 3,000 people.",
            {("National Institute of Social Action", "government-counterpart")},
        ),
        (
            "Azerbaijan. In 2022 the ICRC cleared 30 fields. Around 1,500 mine warning signs "
            "were donated to the Azerbaijan National Mine Action Agency.",
            {("Azerbaijan National Mine Action Agency", "partner")},
        ),
        (
            "Indonesia. In 2018 CARE received 3,000 jerry cans from UNHCR to share with 500 "
            "families.",
            {("UNHCR", "partner")},
        ),
        (
            "Kenya. The USAID project was important for CARE. CARE reached 3,000 people in 2019.",
            {("USAID", "funder")},
        ),
        (
            "Kenya. ACF was particularly generous and supported our finance staff. In 2019 CARE "
            "reached 3,000 people.",
            {("Action Against Hunger", "partner")},
        ),
        (
            "Libya. In 2018 UNHCR evacuated 300 refugees, coordinating closely with the Libyan "
            "Coast Guard.",
            {("Libyan Coast Guard", "coordination")},
        ),
        (
            "Mozambique. En 2022, le PAM a signé une convention avec l'Institut national de "
            "l'action sociale (INAS).",
            {("Institut national de l'action sociale", "partner")},
        ),
        (
            "México. En 2020, ACNUR trabajó con la Comisión mexicana de ayuda a refugiados "
            "(COMAR) para registrar a 3.000 personas.",
            {("Comisión mexicana de ayuda a refugiados", "partner")},
        ),
        (
            "España. Las aportaciones económicas de la Agencia Extremeña de Cooperación "
            "hicieron posible que Cruz Roja Española atendiera a 300 personas en 2022.",
            {("Agencia Extremeña de Cooperación", "funder")},
        ),
        # and what is no partner: people, and a group in lower case
        (
            "Kenya. In 2019 CARE received 300 complaints from beneficiaries and CARE and the "
            "community leaders signed a charter.",
            set(),
        ),
    ],
)
def test_partner_names_after_cues_in_lists_public_bodies_and_acronyms(
    text: str, expected: set[tuple[str, str]]
) -> None:
    assert {(p.label, p.role) for p in extract_text(text).partners} == expected


def test_national_societies_keep_society_and_french_or_spanish_adjectives() -> None:
    english = extract_text(
        "Azerbaijan. In 2022, the ICRC and the Azerbaijan Red Crescent Society delivered food "
        "to 9,000 people.\n"
    )
    assert "Azerbaijan Red Crescent Society" in {n for p in english.partners for n in p.names}
    french = extract_text(
        "Togo. En 2008, la Fédération internationale de la Croix-Rouge a appuyé la Croix-Rouge "
        "togolaise, qui a distribué des kits à 500 familles. La Croix-Rouge visite les sinistrés.\n"
    )
    names = {n for p in french.partners for n in p.names}
    assert "Croix-Rouge togolaise" in names
    assert "Croix-Rouge visite" not in names  # a verb, no nationality


def test_a_year_alone_below_the_title_dates_the_page_unless_a_field_names_it() -> None:
    page = extract_text(
        "United Republic of Tanzania - Refugees (camps) and asylum-seekers\n\n2017\n\n"
        "A total of 7,126 family shelters were constructed for new arrivals.\n"
    )
    assert page.document_year == 2017
    assert [f.year for f in page.outcomes] == [2017]
    field = extract_text(
        "Cameroun\nDébut de la mission\n2016\nALIMA a réalisé 32 026 consultations prénatales.\n"
    )
    assert field.document_year != 2016


def test_an_unknown_publisher_speaks_through_its_quoted_initiative() -> None:
    """Regression (issue 17, third blind set): "Street Child’s ‘Family Business for
    Education’ initiative" did not count as the page speaking of its own work."""
    page = extract_text(
        "Sabatu enrolled onto Street Child’s ‘Family Business for Education’ initiative.\n"
        "Over the winters of 2017-2019, Street Child ran three appeals, allowing us to reach "
        "55,000 children in Sierra Leone.\n"
    )
    assert page.publisher is not None and page.publisher.label == "Street Child"


def test_an_acronym_of_people_is_never_the_publisher() -> None:
    """Regression (issue 17, third blind set): "people with specific needs (PSN) have been
    registered" made PSN the publisher of a page that never names its own."""
    page = extract_text(
        "Tanzania. In 2017, 8,153 people with specific needs (PSN) have been registered. "
        "A total of 803 PSNs were supported with clothes.\n"
    )
    assert page.publisher is None


@given(st.lists(st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True), min_size=1, max_size=6))
def test_an_acronym_of_initials_is_spelt_by_its_words(words: list[str]) -> None:
    upper = [w.upper() for w in words]
    assert _spelt_by("".join(w[0] for w in upper), upper)
    assert not _spelt_by("".join(w[0] for w in upper) + "9", upper)


def test_a_short_sentence_above_a_list_introduces_it() -> None:
    """Regression (issue 17, third blind set): "Below are some key figures from our activities
    in 2022." did not make the bullets below the publisher's, so "conflict-affected
    communities" turned its results into the situation."""
    page = extract_text(
        "Azerbaijan. The ICRC works with the Azerbaijan Red Crescent Society.\n"
        "Below are some key figures from our activities in 2022.\n"
        "- 9,675 individuals from 50 conflict affected communities benefitted from risk "
        "awareness sessions.\n"
        "- 8,575 people living in 15 conflict-affected communities improved their access to "
        "water\n"
    )
    assert sorted(f.value for f in page.outcomes) == [15, 50, 8575, 9675]
    assert page.context_figures == []


def test_a_page_that_opens_by_dating_its_own_work_reviews_that_year() -> None:
    """Regression (issue 17, third blind set): "En 2024, Médicos Sin Fronteras respondimos…"
    left every later figure without a year; "condado" and "ayudamos" were not read."""
    page = extract_text(
        "En 2024, Médicos Sin Fronteras respondimos a múltiples emergencias en Kenia.\n\n"
        "Nuestros equipos siguieron ofreciendo atención médica en Dadaab. En el condado de "
        "Kiambu, ayudamos a 450 refugiados que habían huido.\n"
    )
    assert page.document_year == 2024
    assert [(f.value, f.year, [p.label for p in f.places]) for f in page.outcomes] == [
        (450, 2024, ["Kiambu"])
    ]
    news = extract_text(
        "In 2015, CARE opened an office in Kenya.\n\nSince the floods of 2023, CARE has "
        "reached 3,000 people in Kiambu.\n"
    )
    assert news.document_year is None  # the opening sentence is history, not the page's year


def test_a_year_before_a_name_in_a_paragraph_is_no_postal_address() -> None:
    """Regression (issue 17, third blind set): "2017-2019, Street Child ran…" was read as an
    address ("2019, Street") and the whole paragraph dropped as page furniture."""
    page = extract_text(
        "Over the three winters of 2017-2019, Street Child ran three appeals across Sierra "
        "Leone, allowing us to reach 5,000 children in Kenema.\n"
    )
    assert [p.label for p in page.places] == ["Kenema"]
    footer = extract_text("CARE reached 300 people in Kenya in 2019.\n\n12, rue de la Paix\n")
    assert footer.outcomes[0].value == 300


def test_places_counted_again_with_a_demonstrative_are_no_new_figure() -> None:
    page = extract_text(
        "Niger. En 2024, la Croix-Rouge nigérienne a aidé 3 000 ménages à Madarounfa et "
        "Guidan Roumdji. Cela représente la moitié des ménages sinistrés de ces deux "
        "départements.\n"
    )
    assert [f.value for f in page.outcomes] == [3000]


def test_a_list_after_en_with_an_ordinary_word_in_it_is_no_list_of_places() -> None:
    """Regression (issue 17, third blind set): "diplomas en Humanidades, Empresariales y
    Educación" minted two places."""
    page = extract_text(
        "Malawi: la graduación de los estudiantes en el campo de refugiados de Dzaleka\n"
        "06 octubre 2014\n"
        "A finales de septiembre, la segunda promoción de estudiantes de los campos de Dzaleka "
        "recibió sus diplomas en Humanidades, Empresariales y Educación en la escuela del "
        "campamento, a 50 km. de Lilongwe, la capital de Malawi.\n"
    )
    labels = {p.label for p in page.places}
    assert not labels & {"Humanidades", "Empresariales"}


@pytest.mark.parametrize(
    ("text", "publisher"),
    [
        # regressions (issue 17, fourth blind set, opened)
        (
            "In Georgia, the ICRC helps to reconnect families separated by conflict.\n\n"
            "Latest Update\nIn numbers\n\nIn 2021\n  • 213\n    medical evacuations were "
            "organized\n",
            "International Committee of the Red Cross",
        ),
        (
            "Page archivée: peut contenir des informations obsolètes\n\n"
            "Libéria : les activités du CICR en mars 2007\n\n"
            "Le CICR fournit une assistance aux communautés locales.\n",
            "International Committee of the Red Cross",
        ),
        (
            "El hospital de la Fundación Vicente Ferrer, un centro de referencia\n"
            "En Andhra Pradesh, donde trabaja la Fundación Vicente Ferrer (FVF), viven 400.000 "
            "personas con el VIH.\n",
            "Fundación Vicente Ferrer",
        ),
        (
            "Cambodge\n- 2 593 filleuls parrainés\n- 1 540 jeunes suivis dans nos centres\n"
            "Enfants du Mékong gère directement ces programmes. En 1993, Enfants du Mékong a "
            "successivement ouvert 4 centres.\n",
            "Enfants du Mékong",
        ),
    ],
)
def test_the_publisher_acting_in_the_present_inverted_or_below_furniture(
    text: str, publisher: str
) -> None:
    page = extract_text(text)
    assert page.publisher is not None and page.publisher.label == publisher


def test_a_quoted_programme_title_is_never_the_publisher() -> None:
    page = extract_text(
        "Sabatu enrolled onto Street Child’s ‘Family Business for Education’ initiative.\n"
        "Over 2017-2019, Street Child ran three appeals which our supporters got behind.\n"
        "Since then ‘Right to Learn’ and ‘Count Me In’ continued to reach 5,000 children; "
        "‘Count Me In’ supported 300 more.\n"
    )
    assert page.publisher is not None and page.publisher.label == "Street Child"


def test_a_partner_keeps_the_name_spelt_out_after_its_acronym() -> None:
    """Regression (issue 17, fourth blind set, opened): "l'AECID (Agence espagnole pour la
    coopération internationale au développement)" and "el Ministerio de Sanidad del Gobierno
    y UNICEF" (one body, then another)."""
    french = extract_text(
        "Arménie. Cette aide a pu être fournie grâce au financement de l’AECID (Agence "
        "espagnole pour la coopération internationale au développement). Action contre la Faim "
        "a aidé 150 foyers en 2024.\n"
    )
    names = {n for p in french.partners for n in p.names}
    assert "Agence espagnole pour la coopération internationale au développement" in names
    spanish = extract_text(
        "Guinea Ecuatorial. En 2018 UNICEF vacunó a 3.000 niños gracias al programa de "
        "cooperación entre el Ministerio de Sanidad del Gobierno y UNICEF.\n"
    )
    assert [(p.names, p.role) for p in spanish.partners] == [
        (("Ministerio de Sanidad del Gobierno", "Ministerio de Sanidad"), "government-counterpart")
    ]


def test_the_end_of_the_year_is_the_year_its_paragraph_names() -> None:
    text = (
        "Brasil\n\nMédicos Sin Fronteras regresó a Brasil en 2018.\n\n"
        "Para junio, habíamos abierto dos centros de salud en Boa Vista. A finales de año, "
        "nuestros equipos habían atendido 7.600 consultas externas. En 2019, más de 3.500 "
        "personas asistieron a sesiones de salud mental."
    )
    years = {f.value: f.year for f in extract_text(text).outcomes}
    assert years[7600] == 2019  # the paragraph's year, named after it
    assert years[3500] == 2019


@pytest.mark.parametrize(
    "text",
    [
        "Au Togo, les inondations ont affecté au total plus de 7000 familles.",
        "Au total, ce sont 185 000 personnes qui ont été impactées.",
        "More than 3,300 people in 10 locations do not have access to water.",
        "Selon la protection civile, 1 373 personnes sont toujours portées disparus.",
        "Las lluvias dejaron 2.500 familias damnificadas en la región.",
    ],
)
def test_words_of_the_situation_make_a_context_figure(text: str) -> None:
    kinds = {f.kind for f in extract_text(text).figures()}
    assert kinds == {"context"}, text


def test_a_share_restating_the_work_before_it_is_an_outcome() -> None:
    text = (
        "Grâce au financement d'ECHO, 4 500 ménages de Madarounfa ont reçu 75 000 francs CFA. "
        "Cela représente 62 % des ménages sinistrés de ces deux départements."
    )
    kinds = {f.value: f.kind for f in extract_text(text).figures()}
    assert kinds[62] == "outcome"


def test_a_camp_of_refugees_named_after_its_kind() -> None:
    text = (
        "Le HCR procède au transfert des réfugiés vers le nouveau camp de réfugiés de Mahama, "
        "au Rwanda, par des convois quotidiens."
    )
    labels = [p["label"] for p in extract_text(text).to_json()["places"]]
    assert any(label.startswith("Mahama") for label in labels), labels


def test_a_key_partners_line_lists_every_partner_up_to_the_last_and() -> None:
    partners = _partners(
        "Key partners: Eswatini Ministry of Agriculture, Baphalali Swaziland Red Cross Society, "
        "Action Cooperative Agriculture Trust and the National Disaster Management Agency.\n"
        "FAO distributed 650 bales of hay to 650 households in Eswatini."
    )
    assert {
        "Eswatini Ministry of Agriculture",
        "Baphalali Swaziland Red Cross Society",
        "Action Cooperative Agriculture Trust",
        "National Disaster Management Agency",
    } <= set(partners)


def test_countries_funding_in_a_french_list_with_articles() -> None:
    partners = _partners(
        "En 2014, 446 migrants ont reçu une assistance de l’OIM en Tunisie, avec le soutien "
        "financier de la Suisse, de l’Union Européenne et de la Norvège."
    )
    assert partners.get("Government of Switzerland") == "funder"
    assert partners.get("European Union") == "funder"
    assert partners.get("Government of Norway") == "funder"


def test_examples_after_the_kinds_of_body_they_are_are_partners() -> None:
    partners = _partners(
        "In cooperation with the governmental and local authorities and organizations dealing "
        "with refugees in Serbia, like Commissariat for refugees and migrations, Ministry of "
        "Labour, Employment, Veteran and Social Policy, and Serbian Red Cross.\n"
        "Oxfam renovated 5 centres and built one in Sombor."
    )
    assert partners.get("Commissariat for refugees and migrations") == "government-counterpart"
    assert (
        partners.get("Ministry of Labour, Employment, Veteran and Social Policy")
        == "government-counterpart"
    )
    assert partners.get("Serbian Red Cross") == "partner"
    assert "Employment" not in partners and "Veteran" not in partners


def test_funders_listed_with_their_amounts_in_brackets() -> None:
    partners = _partners(
        "Oxfam helped 200,000 refugees. Activities were financed by the German Federal Foreign "
        "Ministry (1,88 million EUR), the European Union (1 million EUR) and Japan."
    )
    assert partners.get("German Federal Foreign Ministry") == "funder"
    assert partners.get("European Union") == "funder"
    assert partners.get("Government of Japan") == "funder"


def test_an_undated_news_page_is_dated_by_the_event_it_opens_with() -> None:
    extraction = extract_text(
        "Relief operations continue\n\n"
        "A magnitude 7.3 earthquake hit western Iran on Sunday Nov.12, 2017, killing at least 430 "
        "people and injuring more than 7370.\n\n"
        "So far, 26,000 relief blankets have been distributed by the IRCS."
    )
    assert {(f.value, f.year) for f in extraction.outcomes} == {(26000, 2017)}
    assert {(f.value, f.year) for f in extraction.context_figures} == {(430, 2017), (7370, 2017)}
    # a later year on the page: the event is history, not the page's date
    later = extract_text(
        "Relief operations continue\n\n"
        "An earthquake hit Iran on 12 November 2017. In 2019 the IRCS repaired 300 houses.\n"
        "It has distributed 26,000 blankets."
    )
    assert {f.value: f.year for f in later.outcomes}[26000] is None


def test_so_far_in_a_year_dates_an_undated_page() -> None:
    extraction = extract_text(
        "ACNUR ha repartido 800 kits de higiene. En lo que va de 2015, unas 3.460 personas han "
        "perdido la vida en el Mediterráneo."
    )
    assert {(f.value, f.year) for f in extraction.outcomes} == {(800, 2015)}
    assert {(f.value, f.year) for f in extraction.context_figures} == {(3460, 2015)}


def test_an_acronym_national_societies_share_means_the_report_country_s_own() -> None:
    text = (
        "The IRCS is rendering emergency shelter. Relief items have been dispatched from 16 IRCS "
        "Provincial Branches, and 10 Red Crescent Helicopters are operating.\n"
        "So far, 26,000 relief blankets have been distributed in Kermanshah."
    )
    iran = extract_text(text, country="IR").publisher
    assert iran is not None and iran.iri.endswith("/iranian-red-crescent")
    iraq = extract_text(text, country="IQ").publisher
    assert iraq is not None and iraq.iri.endswith("/iraqi-red-crescent")
    # in a report about a third country the acronym names no one
    assert all(
        not o.iri.endswith("red-crescent")
        for o in [extract_text(text, country="KE").publisher]
        if o is not None
    )


def test_the_bare_red_cross_is_the_society_the_page_names_in_full() -> None:
    extraction = extract_text(
        "Cruz Roja Americana\n\nLa Cruz Roja Americana abrió refugios en Joplin. La Cruz Roja "
        "envía personal adicional. La Cruz Roja ya cuenta con 1.000 voluntarios en el terreno y "
        "la Cruz Roja abrió 3 refugios."
    )
    assert extraction.publisher is not None
    assert extraction.publisher.iri.endswith("/american-red-cross")


def test_a_period_of_years_written_in_full_dates_by_its_end() -> None:
    text = "In 2002-2016, UNHCR assisted the return of 162 refugees to their countries of origin."
    assert [f.year for f in extract_text(text).figures()] == [2016]
    # two digits after the dash: a period only within ten years ("2022-14" is none)
    assert [f.year for f in extract_text("In 2022-14, UNHCR assisted 162 refugees.").figures()] != [
        2014
    ]


def test_stateless_people_and_asylum_seekers_are_the_situation() -> None:
    extraction = extract_text(
        "UNHCR in Kazakhstan, 2016.\nAsylum seekers: 184 persons\nStateless persons: 6,876 "
        "(officially recognized by the Government, as of 1 January 2016)."
    )
    assert extraction.outcomes == []
    assert {f.value for f in extraction.context_figures} == {184, 6876}


def test_a_sidecar_naming_a_shared_acronym_means_the_report_country_s_society() -> None:
    text = "Relief items have been dispatched to 3,000 families in the affected province."
    iraq = extract_text(text, publisher="IRCS", country="IQ").publisher
    assert iraq is not None and iraq.iri.endswith("/iraqi-red-crescent")
    # about a third country: the sidecar's name stands for itself, not for one of the societies
    other = extract_text(text, publisher="IRCS", country="KE").publisher
    assert other is not None and other.label == "IRCS"
    assert not other.iri.endswith("red-crescent")


@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("Ministry of Labour", True),
        ("Department of Social Welfare", True),
        ("Commissariat for Refugees and Migration", True),
        ("National Disaster Management Agency", True),
        ("Turkana County Government", False),  # a public body by its last word, not its first
        ("National Red Cross Society", False),
        ("Office Africain pour le Développement", False),
    ],
)
def test_a_public_body_is_told_by_the_words_of_its_name(name: str, public: bool) -> None:
    from kg.extract.entities import is_public_body
    from kg.extract.lexicons import default_lexicons

    assert is_public_body(name, default_lexicons()) is public


def test_sectors_come_from_the_things_delivered_in_any_language() -> None:
    def sectors(text: str) -> set[str]:
        return {s.iri.rsplit("/", 1)[-1] for s in extract_text(text).sectors}

    assert {"food-security", "wash"} <= sectors(
        "Oxfam distributed seeds and agricultural inputs to 500 farmers and provided 1,200 "
        "families with clean water."
    )
    assert {"food-security", "secondary-health-care"} <= sectors(
        "Cáritas entregó 810.000 kilos de alimentos y apoyó dos hospitales en Tucumán."
    )
    assert "primary-health-care" in sectors(
        "Nos équipes ont appuyé 12 centres de santé et 3 cliniques mobiles à Goma."
    )


def test_a_government_s_name_goes_on_over_a_country_name_with_and_in_it() -> None:
    extraction = extract_text(
        "La OPS se ha movilizado para ayudar al gobierno de San Vicente y las Granadinas a "
        "responder a la erupción. La OPS entregó 150.000 mascarillas."
    )
    assert "gobierno de San Vicente y las Granadinas" in {p.label for p in extraction.partners}


def test_a_public_body_s_name_stops_before_the_verb_that_follows_it() -> None:
    extraction = extract_text(
        "Nuestros equipos trabajaron en cinco de los refugios que el Gobierno tiene en Kuala "
        "Lumpur. Médicos Sin Fronteras atendió 1.200 pacientes con la Dirección regional de "
        "salud."
    )
    labels = {p.label for p in extraction.partners}
    assert not any("tiene" in label for label in labels), labels
