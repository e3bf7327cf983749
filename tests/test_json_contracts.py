"""The JSON the commands and the HTTP API write, checked against the schemas in `docs/schemas/`
(issue 21: one shape, typed values: numbers as numbers, IRIs and dates as strings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from kg.cli import app
from kg.extract import extract_text
from kg.query.named import QueryResult, json_value

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"
XSD = "http://www.w3.org/2001/XMLSchema#"
runner = CliRunner()


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seed_reports: Path) -> Path:
    path = tmp_path_factory.mktemp("json") / "store"
    result = runner.invoke(app, ["build", str(seed_reports), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.slow
def test_query_json_is_typed_and_follows_its_schema(store: Path) -> None:
    result = runner.invoke(
        app,
        ["query", "outcomes", "--param", "year=2023", "--store", str(store), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    validator("query-result").validate(rows)
    assert rows and all(isinstance(r["value"], int | float) for r in rows)
    assert all(isinstance(r["year"], str) and len(r["year"]) == 4 for r in rows)  # a year, ISO
    assert all(r["figure"].startswith("https://") for r in rows)  # an IRI, as a string
    ask = runner.invoke(
        app,
        ["query", "--sparql", "ASK { ?r a hkg:Report }", "--store", str(store), "--format", "json"],
    )
    assert json.loads(ask.stdout) == [{"result": True}]


@pytest.mark.parametrize("report", sorted((ROOT / "data" / "reports").glob("*.txt")), ids=str)
def test_extract_json_follows_its_schema(report: Path) -> None:
    result = runner.invoke(app, ["extract", str(report), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    validator("extract").validate(data)
    text = report.read_text(encoding="utf-8")
    for fig in data["outcomes"] + data["context_figures"]:
        assert text[fig["start"] : fig["end"]] == fig["quote"]


def test_the_schema_refuses_a_value_written_as_a_string() -> None:
    data = extract_text("Mali. In 2023, MSF treated 1,200 children in Gao.").to_json()
    data = json.loads(json.dumps(data))
    validator("extract").validate(data)
    data["outcomes"][0]["value"] = "1200"
    assert list(validator("extract").iter_errors(data))


def test_unmatched_answer_follows_its_schema() -> None:
    validator("unmatched").validate(
        {
            "error": "place 'X' matches nothing",
            "unmatched": [{"param": "place", "value": "X", "suggestions": ["Y"]}],
        }
    )


@pytest.mark.parametrize(
    ("text", "datatype", "value"),
    [
        ("30.0", XSD + "decimal", 30),
        ("2.5", XSD + "decimal", 2.5),
        ("12", XSD + "integer", 12),
        ("1.0E6", XSD + "double", 1_000_000.0),
        ("NaN", XSD + "double", "NaN"),
        ("true", XSD + "boolean", True),
        ("2023", XSD + "gYear", "2023"),
        ("x", None, "x"),
        (None, XSD + "integer", None),
        ("not a number", XSD + "integer", "not a number"),
    ],
)
def test_json_values(text: str | None, datatype: str | None, value: object) -> None:
    assert json_value(text, datatype) == value


def test_a_result_without_datatypes_writes_strings() -> None:
    result = QueryResult(["n"], [("5",)])
    assert json.loads(result.to_json()) == [{"n": "5"}]
