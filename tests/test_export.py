"""Issue 18: `kg export 3w --format hxl` writes the graph's operational presence as HDX HAPI
shapes it, and `kg export figures` every figure with its source words, each with an HXL hashtag
row that libhxl parses, our HXL schemas (data/export/*-schema.csv) accept, and CSVW metadata
beside the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import resources
from kg.cli import app
from kg.export.hxl import columns, csvw_metadata, export_rows, write_hxl
from kg.store import open_store
from server_support import seed_store

runner = CliRunner()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


def _hxl(store_path: Path, table: str = "3w", **filters: object) -> str:
    out = io.StringIO()
    write_hxl(table, export_rows(open_store(store_path), table, **filters), out)  # type: ignore[arg-type]
    return out.getvalue()


def three_w_rows(store: object, **filters: object) -> list[dict[str, str]]:
    return list(export_rows(store, "3w", **filters))  # type: ignore[arg-type]


def _schema(problems: list[str] | None = None, table: str = "3w"):  # type: ignore[no-untyped-def]
    """Our HXL schema, each error it finds added to `problems`."""
    import hxl

    def keep(error) -> None:  # type: ignore[no-untyped-def]
        if problems is not None:
            problems.append(f"{error.rule.tag_pattern} {error.value!r}: {error.message}")

    with (resources.asset_dir("export") / f"{table}-schema.csv").open("rb") as handle:
        return hxl.schema(hxl.data(io.BytesIO(handle.read())), callback=keep)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_3w_export_parses_with_libhxl_and_passes_our_schema(store_path: Path) -> None:
    import hxl

    text = _hxl(store_path)
    source = hxl.data(io.BytesIO(text.encode("utf-8")))
    assert [c.display_tag for c in source.columns] == [c.hashtag for c in columns("3w")]
    rows = list(source)
    assert len(rows) > 50
    mali = {(r.get("#org+name"), r.get("#sector+code"), r.get("#adm1+name")) for r in rows}
    assert ("ALIMA", "HEA", "Mopti") in mali
    assert all(r.get("#country+code+v_iso3") == "MLI" for r in rows)
    problems: list[str] = []
    ok = _schema(problems).validate(hxl.data(io.BytesIO(text.encode("utf-8"))))
    assert ok and problems == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_schema_catches_a_made_up_sector_code(store_path: Path) -> None:
    import hxl

    text = _hxl(store_path).replace(",HEA,", ",HEALTH,", 1)
    assert not _schema().validate(hxl.data(io.BytesIO(text.encode("utf-8"))))


def test_filters_are_bindings_and_sub_sectors_report_their_cluster(store_path: Path) -> None:
    store = open_store(store_path)
    every = list(three_w_rows(store))
    dated = list(three_w_rows(store, country="MLI", year=2023))
    assert dated and len(dated) < len(every)
    assert all(r["reference_period_start"] == "2023-01-01" for r in dated)
    assert all(r["reference_period_end"] == "2023-12-31" for r in dated)
    assert list(three_w_rows(store, country="ml")) == every  # alpha-2, any case
    assert list(three_w_rows(store, country="KEN")) == []
    assert list(three_w_rows(store, organisation='x" } UNION { ?s ?p ?o')) == []
    msf = list(three_w_rows(store, organisation="MSF"))
    assert msf and {r["org_acronym"] for r in msf} == {"MSF"}
    # an own sub-sector ("Mental health and psychosocial support") reports its cluster's code
    assert {r["sector_code"] for r in every if r["sector_name"].startswith("Mental")} == {"HEA"}


def test_kg_export_3w_writes_the_file_and_refuses_another_format(
    store_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "3w.csv"
    result = runner.invoke(
        app, ["export", "3w", "--format", "hxl", "--store", str(store_path), "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == _hxl(store_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3w.csv", "3w.csv-metadata.json"]
    refused = runner.invoke(app, ["export", "3w", "--format", "json", "--store", str(store_path)])
    assert refused.exit_code == 2 and "hxl" in refused.output


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_figures_export_has_one_row_per_figure_and_passes_our_schema(
    store_path: Path,
) -> None:
    import hxl

    store = open_store(store_path)
    text = _hxl(store_path, "figures")
    rows = list(hxl.data(io.BytesIO(text.encode("utf-8"))))
    ids = [r.get("#meta+id") for r in rows]
    counted = store.query(
        "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a ?c FILTER(?c IN ("
        "<https://w3id.org/humanitarian-kg/ontology#Outcome>, "
        "<https://w3id.org/humanitarian-kg/ontology#ContextFigure>)) }",
        use_default_graph_as_union=True,
    )
    assert len(ids) == len(set(ids)) == int(next(iter(counted))["n"].value)  # type: ignore[index, arg-type]
    by_value = {(r.get("#org+name"), r.get("#indicator+value")): r for r in rows}
    consultations = by_value[("ALIMA", "154399")]
    assert consultations.get("#indicator+type") == "Outcome"
    assert consultations.get("#sector+code") == "HEA"
    assert consultations.get("#meta+quote") and consultations.get("#date+year") == "2022"
    problems: list[str] = []
    ok = _schema(problems, "figures").validate(hxl.data(io.BytesIO(text.encode("utf-8"))))
    assert ok and problems == []


def test_each_quote_is_the_report_text_at_its_offsets(store_path: Path) -> None:
    reports = Path(__file__).resolve().parents[1] / "data" / "reports"
    for row in export_rows(open_store(store_path), "figures"):
        text = (reports / f"{row['source_report']}.txt").read_text(encoding="utf-8")
        assert text[int(row["start"]) : int(row["end"])] == row["quote"]


def test_the_csvw_metadata_describes_the_written_columns(store_path: Path) -> None:
    import csv
    import re

    lexical = {  # each CSVW datatype used, and the lexical form its non-empty cells take
        "string": r".*",
        "decimal": r"-?[0-9]+(\.[0-9]+)?",
        "integer": r"-?[0-9]+",
        "gYear": r"[0-9]{4}",
        "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "anyURI": r"https?://\S+",
    }
    for table in ("3w", "figures"):
        metadata = csvw_metadata(table, f"{table}.csv")
        assert metadata["@context"] == "http://www.w3.org/ns/csvw"
        assert metadata["dialect"]["headerRowCount"] == 2
        described = metadata["tableSchema"]["columns"]
        lines = list(csv.reader(io.StringIO(_hxl(store_path, table))))
        assert [c["titles"] for c in described] == [
            list(pair) for pair in zip(*lines[:2], strict=True)
        ]
        for row in lines[2:]:
            for cell, column in zip(row, described, strict=True):
                pattern = lexical[column["datatype"]]
                assert cell == "" or re.fullmatch(pattern, cell, re.S), (column["name"], cell)


def test_a_failed_export_leaves_the_last_file_and_nothing_beside_it(tmp_path: Path) -> None:
    from kg.export.hxl import write_atomically

    target = tmp_path / "figures.csv"
    target.write_text("last good\n", encoding="utf-8")

    def broken(handle: io.TextIOBase) -> int:
        handle.write("half a row")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, broken)
    assert target.read_text(encoding="utf-8") == "last good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]


def test_kg_export_figures_filters_and_refuses_a_bad_year(store_path: Path) -> None:
    import csv

    every = runner.invoke(app, ["export", "figures", "--store", str(store_path)])
    dated = runner.invoke(app, ["export", "figures", "--year", "2023", "--store", str(store_path)])
    assert every.exit_code == dated.exit_code == 0
    assert 2 < len(dated.stdout.splitlines()) < len(every.stdout.splitlines())
    years = {row["year"] for row in csv.DictReader(io.StringIO(dated.stdout))}
    assert years == {"2023", "#date+year"}  # the hashtag row, then 2023 only
    none = runner.invoke(app, ["export", "figures", "--country", "KEN", "--store", str(store_path)])
    assert none.exit_code == 0 and len(none.stdout.splitlines()) == 2
    bad = runner.invoke(app, ["export", "figures", "--year", "12345", "--store", str(store_path)])
    assert bad.exit_code == 2 and "four-digit year" in bad.output


def test_a_figure_in_several_places_is_one_row_with_names_and_codes_in_step() -> None:
    from kg.export.hxl import _one_row_per_figure

    records = [
        {"figure": "f1", "value": "10", "place_name": "Gao", "place_code": "ML-7"},
        {"figure": "f1", "value": "10", "place_name": "Mopti", "place_code": "ML-5"},
        {"figure": "f2", "value": "3", "place_name": "", "place_code": ""},
        {"figure": "f3", "value": "4", "place_name": "Tessit", "place_code": ""},
        {"figure": "f3", "value": "4", "place_name": "Gao", "place_code": "ML-7"},
    ]
    folded = list(_one_row_per_figure(records))
    assert [(r["figure"], r["place_name"], r["place_code"]) for r in folded] == [
        ("f1", "Gao; Mopti", "ML-7; ML-5"),
        ("f2", "", ""),
        ("f3", "Tessit; Gao", "; ML-7"),
    ]
