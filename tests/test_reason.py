"""OWL reasoning (kg.reason.consistency, `kg ontology check`): HermiT in a private owlready2 World.

HermiT runs in a Java subprocess: a consistent ontology plus reference data takes about
10 s here, so the slow cases share module-scoped results.
"""

from __future__ import annotations

import json
from pathlib import Path

import owlready2
import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import HKG, ID
from kg.reason.consistency import (
    ReasonerError,
    ReasoningResult,
    check_graphs,
    check_repository,
    find_culprits,
)
from kg.validate.engine import load_rdf, repository_graphs

FIXTURES = Path(__file__).parent / "fixtures" / "reasoning"
BROKEN = FIXTURES / "broken-disjoint-types.ttl"
UNSATISFIABLE = FIXTURES / "unsatisfiable-class.ttl"
STRUCTURAL = FIXTURES / "broken-domain-and-functional.ttl"
EX = "http://example.org/extension#"

runner = CliRunner()


def _graph(path: Path) -> Graph:
    graph = Graph()
    graph += load_rdf(path).triples((None, None, None))  # type: ignore[arg-type]
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return repository_graphs()[0]


@pytest.fixture(scope="module")
def shipped() -> ReasoningResult:
    return check_repository()


@pytest.fixture(scope="module")
def broken(ontology: Graph) -> ReasoningResult:
    return check_graphs(ontology, data=_graph(BROKEN))


@pytest.mark.slow
def test_shipped_ontology_and_reference_data_pass(shipped: ReasoningResult) -> None:
    assert shipped.ok, shipped.text()
    assert shipped.consistent and shipped.unsatisfiable == []
    assert shipped.scopes == ["ontology", "reference data"]
    assert shipped.reasoner_runs == 1
    assert shipped.triples > 5000
    assert shipped.text().startswith("ok: ontology + reference data")


@pytest.mark.slow
def test_broken_fixture_is_inconsistent_and_names_the_culprit(broken: ReasoningResult) -> None:
    assert not broken.consistent and not broken.ok
    assert broken.located_in == "data"  # the ontology alone is consistent
    assert broken.reasoner_runs == 2
    culprits = {(f.kind, f.subject, f.classes) for f in broken.culprits}
    assert culprits == {
        (
            "disjoint-types",
            str(ID["org/confused-agency"]),
            (str(HKG.InternationalNGO), str(HKG.UNAgency)),
        )
    }
    text = broken.text()
    assert text.startswith("inconsistent: ontology + data has no model (already in the data)")
    assert (
        "id:org/confused-agency is a hkg:InternationalNGO (stated type hkg:InternationalNGO) "
        "and a hkg:UNAgency (stated type hkg:UNAgency)"
    ) in text
    assert "hkg:InternationalNGO and hkg:UNAgency are disjoint" in text
    assert "fine-agency" not in text
    assert text.splitlines()[-1].startswith("FAILED: ")


@pytest.mark.slow
def test_unsatisfiable_class_is_named_and_nothing_is_modified(ontology: Graph) -> None:
    extended = ontology + _graph(UNSATISFIABLE)
    before = Graph()
    before += extended
    worlds_before = set(owlready2.default_world.ontologies)
    result = check_graphs(extended)
    assert result.consistent
    assert result.unsatisfiable == [EX + "UNAgencyRunNGO"]
    assert not result.ok
    assert f"unsatisfiable class: {EX}UNAgencyRunNGO" in result.text()
    assert isomorphic(before, extended)  # the graphs given are only read
    assert set(owlready2.default_world.ontologies) == worlds_before  # a private World


def test_missing_java_is_a_reasoner_error(ontology: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-here")
    with pytest.raises(ReasonerError, match="Java") as raised:
        check_graphs(ontology)
    assert "apt-get install default-jre-headless" in str(raised.value)  # how to get it


@pytest.mark.slow
def test_ontology_check_without_java_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-here")
    result = CliRunner().invoke(app, ["ontology", "check"])
    assert result.exit_code == 2
    assert "install a Java runtime" in " ".join(result.stderr.split())


# --- structural checks, without a reasoner (fast) -----------------------------------------


def test_find_culprits_names_domain_union_and_functional_faults(ontology: Graph) -> None:
    findings = find_culprits(ontology + _graph(STRUCTURAL))
    by_subject = {(f.kind, f.subject.rsplit("/", 1)[-1]): f for f in findings}
    assert set(by_subject) == {
        ("disjoint-types", "r"),
        ("domain-union", "sectoral"),
        ("functional", "two-levels"),
    }
    report = by_subject[("disjoint-types", "r")]
    assert report.classes == (str(HKG.Organisation), str(HKG.Report))
    assert "subject of hkg:mainSector, whose rdfs:domain is hkg:Organisation" in report.message
    union = by_subject[("domain-union", "sectoral")]
    assert "hkg:Figure, hkg:Presence, hkg:Indicator" in union.message
    functional = by_subject[("functional", "two-levels")]
    assert functional.classes == (str(HKG.adminLevel),)
    assert '"3"^^' in functional.message and '"4"^^' in functional.message


@pytest.mark.slow
def test_find_culprits_is_quiet_on_the_shipped_data() -> None:
    ontology, reference = repository_graphs()
    assert find_culprits(ontology + reference) == []


def test_find_culprits_uses_ranges_and_subclasses() -> None:
    graph = Graph()
    graph.add((HKG.partner, RDF.type, OWL.ObjectProperty))
    graph.add((HKG.partner, RDFS.range, HKG.Organisation))
    graph.add((HKG.UNAgency, RDFS.subClassOf, HKG.Organisation))
    graph.add((HKG.Organisation, OWL.disjointWith, HKG.Place))
    graph.add((ID["partnership/p"], HKG.partner, ID["place/ml"]))
    graph.add((ID["place/ml"], RDF.type, HKG.Place))
    graph.add((ID["org/a"], RDF.type, HKG.UNAgency))
    graph.add((ID["org/a"], RDFS.label, Literal("A")))
    [finding] = find_culprits(graph)
    assert finding.subject == str(ID["place/ml"])
    assert "object of hkg:partner, whose rdfs:range is hkg:Organisation" in finding.message


# --- the command ----------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_json_and_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ontology", "check", "--no-reference", "--format", "json", str(UNSATISFIABLE)]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["consistent"] is True and data["ok"] is False
    assert data["unsatisfiable"] == [EX + "UNAgencyRunNGO"]
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    result = runner.invoke(app, ["ontology", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2" in result.stderr
    result = runner.invoke(
        app, ["ontology", "check", "--data", "--store", str(tmp_path / "no-store")]
    )
    assert result.exit_code == 2 and "kg build" in result.stderr
    result = runner.invoke(app, ["ontology", "check", "--format", "xml"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_cli_fails_on_the_broken_store_data_naming_the_culprit(tmp_path: Path) -> None:
    from kg.namespaces import report_graph
    from kg.store import write_store

    store = tmp_path / "store"
    write_store(store, [(str(report_graph("broken")), _graph(BROKEN))])
    result = runner.invoke(
        app, ["ontology", "check", "--no-reference", "--data", "--store", str(store)]
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "id:org/confused-agency" in result.stdout
    assert "(already in the data)" in result.stdout
