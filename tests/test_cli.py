"""The `kg` command as a user runs it: build, extract, query, validate, stats and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

runner = CliRunner()


def kg(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seed_reports: Path) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    code, out, err = kg("build", str(seed_reports), "--store", str(path))
    assert code == 0, out + err
    return path


@pytest.mark.slow
def test_build_summarises_every_report(store: Path, seed_reports: Path) -> None:
    code, out, _ = kg("build", str(seed_reports), "--store", str(store))
    assert code == 0
    for name in (
        "alima-mali",
        "imc-mali-factsheet-2025",
        "msf-mali-2020",
        "msf-mali-2023",
        "nrc-mali-2023",
    ):
        assert name in out
    assert "reports: 5 built, 0 failed" in out
    assert "violations: 0" in out


def test_organisations_in_timbuktu_names_the_three_publishers(store: Path) -> None:
    code, out, _ = kg(
        "query",
        "organisations-in",
        "--param",
        "place=Timbuktu",
        "--store",
        str(store),
        "--format",
        "json",
    )
    assert code == 0
    names = {row["organisation"] for row in json.loads(out)}
    assert {"ALIMA", "International Medical Corps", "Médecins Sans Frontières"} <= names


def test_who_what_where_has_a_row_for_every_publisher(store: Path) -> None:
    code, out, _ = kg("query", "who-what-where", "--store", str(store), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert set(rows[0]) >= {"organisation", "sector", "place", "year"}
    publishers = {row["organisation"] for row in rows}
    assert {
        "ALIMA",
        "International Medical Corps",
        "Médecins Sans Frontières",
        "Norwegian Refugee Council",
    } <= publishers


def test_query_formats_and_bound_parameters(store: Path) -> None:
    code, out, _ = kg(
        "query", "outcomes", "--param", "year=2023", "--store", str(store), "--format", "csv"
    )
    assert code == 0
    assert out.splitlines()[0].startswith("organisation,")
    code, out, _ = kg(
        "query",
        "outcomes",
        "--param",
        'organisation=NRC" } #',
        "--store",
        str(store),
        "--format",
        "tsv",
    )
    # the value was bound, not pasted: an organisation by that odd name, which is unknown
    assert code == 1 and out == ""
    code, _, err = kg("query", "outcomes", "--param", "nosuch=1", "--store", str(store))
    assert code == 2
    assert "nosuch" in err


def test_a_parameter_that_names_nothing_is_said_with_the_closest_names(store: Path) -> None:
    code, out, err = kg(
        "query", "organisations-in", "--param", "place=Tombouctouu", "--store", str(store)
    )
    assert code == 1 and out == ""
    assert "place 'Tombouctouu' matches nothing" in err and "'Tombouctou'" in err
    code, _, err = kg("query", "outcomes", "--param", "year=2031", "--store", str(store))
    assert code == 1 and "year '2031' matches nothing" in err
    code, _, err = kg(
        "query", "who-what-where", "--param", "sector=Nutrtion", "--store", str(store)
    )
    assert code == 1 and "'Nutrition'" in err
    # a known name that simply has no rows is an empty answer, not an error
    code, out, _ = kg(
        "query",
        "outcomes",
        "--param",
        "year=2023",
        "--param",
        "place=Ansongo",
        "--store",
        str(store),
    )
    assert code == 0


def test_query_sparql_text(store: Path) -> None:
    code, out, _ = kg(
        "query",
        "--sparql",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/humanitarian-kg/ontology#Report> }",
        "--store",
        str(store),
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out) == [{"n": 5}]


def test_query_sparql_declares_the_project_prefixes_and_shows_where_it_fails(
    store: Path,
) -> None:
    code, out, _ = kg(
        "query",
        "--sparql",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a hkg:Report }",
        "--store",
        str(store),
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out) == [{"n": 5}]
    code, out, _ = kg(  # a prefix the text declares itself is the text's
        "query",
        "--sparql",
        "PREFIX hkg: <http://example.org/> SELECT (COUNT(*) AS ?n) WHERE { ?s a hkg:Report }",
        "--store",
        str(store),
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out) == [{"n": 0}]
    code, _, err = kg(
        "query",
        "--sparql",
        "SELECT ?s\nWHERE { ?s a hkg:Report . FILTER( }",
        "--store",
        str(store),
    )
    assert code == 2
    assert "syntax error at line 2, column" in err
    lines = err.splitlines()
    shown = next(i for i, line in enumerate(lines) if "FILTER(" in line)
    assert lines[shown + 1].strip() == "^"
    code, out, _ = kg("queries", "--prefixes")
    assert code == 0 and "PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#>" in out


def test_stats_counts_by_class_and_report(store: Path) -> None:
    code, out, _ = kg("stats", "--store", str(store))
    assert code == 0
    assert "Outcome" in out and "nrc-mali-2023" in out


@pytest.mark.slow
def test_validate_store_conforms(store: Path) -> None:
    code, out, _ = kg("validate", "--store", str(store))
    assert code == 0, out
    assert "conforms" in out


def test_queries_lists_parameters() -> None:
    code, out, _ = kg("queries")
    assert code == 0
    assert "organisations-in" in out and "--param place" in out


def test_extract_json_contract(seed_reports: Path) -> None:
    code, out, _ = kg("extract", str(seed_reports / "nrc-mali-2023.txt"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    for key in (
        "publisher",
        "country",
        "outcomes",
        "context_figures",
        "partners",
        "places",
        "sectors",
        "unclassified",
    ):
        assert key in data
    figure = data["outcomes"][0]
    for key in (
        "value",
        "qualifier",
        "counted",
        "indicator",
        "sector",
        "year",
        "year_source",
        "places",
        "quote",
        "start",
        "end",
    ):
        assert key in figure


def test_extract_turtle_and_table(seed_reports: Path) -> None:
    code, out, _ = kg("extract", str(seed_reports / "alima-mali.txt"), "--format", "turtle")
    assert code == 0 and "hkg:Outcome" in out
    code, out, _ = kg("extract", str(seed_reports / "alima-mali.txt"))
    assert code == 0 and "Outcomes" in out


# --- bad input ---------------------------------------------------------------------------


@pytest.fixture()
def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "binary.txt",
        "latin1": tmp_path / "latin1.txt",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    files["latin1"].write_bytes("Nous avons soigné 1 200 enfants à Ségou.\n".encode("latin-1"))
    files["missing"] = tmp_path / "missing.txt"
    return files


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("missing", "no such file"),
        ("empty", "empty"),
        ("binary", "binary"),
        ("latin1", "not UTF-8"),
    ],
)
def test_extract_bad_input_is_one_clear_line(
    bad_files: dict[str, Path], kind: str, words: str
) -> None:
    code, out, err = kg("extract", str(bad_files[kind]))
    assert code == 2  # unusable input (docs/exit-codes.md)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert str(bad_files[kind]) in lines[0] and words in lines[0]


@pytest.mark.slow
def test_build_with_one_bad_report_builds_the_others(tmp_path: Path, seed_reports: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copy(seed_reports / "nrc-mali-2023.txt", reports)
    shutil.copy(seed_reports / "nrc-mali-2023.yaml", reports)
    (reports / "broken.txt").write_bytes(b"\xff\xfe\x00b\x00a\x00d")
    store = tmp_path / "store"
    code, out, err = kg("build", str(reports), "--store", str(store))
    assert code == 1
    assert "broken.txt" in err
    assert "1 built, 1 failed" in out
    code, out, _ = kg("query", "outcomes", "--store", str(store), "--format", "json")
    assert code == 0 and len(json.loads(out)) >= 7


@pytest.mark.slow
def test_build_of_a_missing_path_leaves_the_store(tmp_path: Path, seed_reports: Path) -> None:
    """Regression: a mistyped path built an empty store, dropping every report as removed."""
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copy(seed_reports / "nrc-mali-2023.txt", reports)
    shutil.copy(seed_reports / "nrc-mali-2023.yaml", reports)
    store = tmp_path / "store"
    assert kg("build", str(reports), "--store", str(store))[0] == 0
    code, _, err = kg("build", str(tmp_path / "reprots"), "--store", str(store))
    assert code == 2
    assert "reprots: no such file or directory" in err and "not touched" in err
    code, _, err = kg("build", str(reports), str(tmp_path / "reprots"), "--store", str(store))
    assert code == 2
    code, out, _ = kg("query", "outcomes", "--store", str(store), "--format", "json")
    assert code == 0 and len(json.loads(out)) >= 7


def test_query_without_store_says_run_build(tmp_path: Path) -> None:
    code, _, err = kg("query", "outcomes", "--store", str(tmp_path / "nothing"))
    assert code == 2
    assert "kg build" in err


@pytest.mark.slow
def test_validate_malformed_turtle_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n")
    code, _, err = kg("validate", str(bad))
    assert code == 2
    assert f"{bad}:3" in err


def test_extract_html_highlights_spans_by_kind(seed_reports: Path, tmp_path: Path) -> None:
    page = tmp_path / "alima.html"
    code, _, _ = kg(
        "extract", str(seed_reports / "alima-mali.txt"), "--format", "html", "-o", str(page)
    )
    assert code == 0
    html = page.read_text(encoding="utf-8")
    for kind in ("outcome", "context", "place", "partner", "unclassified"):
        assert f'<mark class="{kind}"' in html
    assert "154,399 general and pediatric medical consultations" in html
