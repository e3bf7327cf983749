"""Issue 18: `kg export 3w --format hxl` writes the graph's operational presence as HDX HAPI
shapes it, with an HXL hashtag row that libhxl parses and our HXL schema
(data/export/3w-schema.csv) accepts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import resources
from kg.cli import app
from kg.export.hxl import THREE_W, three_w_rows, write_hxl
from kg.store import open_store
from server_support import seed_store

runner = CliRunner()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


def _hxl(store_path: Path, **filters: object) -> str:
    out = io.StringIO()
    write_hxl(three_w_rows(open_store(store_path), **filters), out)  # type: ignore[arg-type]
    return out.getvalue()


def _schema(problems: list[str] | None = None):  # type: ignore[no-untyped-def]
    """Our HXL schema, each error it finds added to `problems`."""
    import hxl

    def keep(error) -> None:  # type: ignore[no-untyped-def]
        if problems is not None:
            problems.append(f"{error.rule.tag_pattern} {error.value!r}: {error.message}")

    with (resources.asset_dir("export") / "3w-schema.csv").open("rb") as handle:
        return hxl.schema(hxl.data(io.BytesIO(handle.read())), callback=keep)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_3w_export_parses_with_libhxl_and_passes_our_schema(store_path: Path) -> None:
    import hxl

    text = _hxl(store_path)
    source = hxl.data(io.BytesIO(text.encode("utf-8")))
    assert [c.display_tag for c in source.columns] == [tag for _, tag in THREE_W]
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
    assert not list(tmp_path.glob("*.partial"))
    refused = runner.invoke(app, ["export", "3w", "--format", "json", "--store", str(store_path)])
    assert refused.exit_code == 2 and "hxl" in refused.output
