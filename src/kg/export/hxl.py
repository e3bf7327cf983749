"""The HXL exports, 3W presence rows shaped as HDX HAPI's and figures with their source words,
as CSV with an HXL hashtag row and CSVW metadata.

`3w` is one row per reported presence, with HAPI's operational-presence columns; `figures` one
row per figure, with its exact source words. The hashtag row under the column names lets HDX,
libhxl and HXL Proxy read them as they read HAPI's own data; the CSVW metadata file says what
every column holds.

The rows come from `queries/export/<table>.rq` over the embedded store, its filters checked
and bound by the query's own header (kg.query.named), never pasted. Columns, hashtags,
datatypes and descriptions are data: `data/export/columns.csv`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pyoxigraph as ox

from kg.query.named import parse_query, term_text
from kg.resources import asset_dir, query_text

TABLES = ("3w", "figures")
XSD = "http://www.w3.org/2001/XMLSchema#"

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    name: str
    hashtag: str
    datatype: str  # an XSD datatype name, as CSVW names them
    description: str


def columns(table: str) -> list[Column]:
    """The columns of an export table, in the order written (data/export/columns.csv)."""
    if table not in TABLES:
        raise ValueError(f"unknown export table {table!r}; known: {', '.join(TABLES)}")
    with (asset_dir("export") / "columns.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Column(row["column"], row["hashtag"], row["datatype"], row["description"])
            for row in csv.DictReader(handle)
            if row["table"] == table
        ]


def export_rows(
    store: ox.Store,
    table: str,
    *,
    country: str | None = None,
    year: int | None = None,
    organisation: str | None = None,
) -> Iterator[dict[str, str]]:
    """The rows of an export table, filtered by country (ISO alpha-2 or alpha-3), year and
    organisation (a name, acronym or IRI)."""
    cols = columns(table)
    query = parse_query(query_text("export", table), name=f"export/{table}")
    params = {"country": country, "organisation": organisation}
    params["year"] = None if year is None else f"{year:04d}"
    solutions = store.query(
        query.text, use_default_graph_as_union=True, substitutions=query.substitutions(params)
    )
    records = (
        {v.value: term_text(s[v]) or "" for v in solutions.variables}  # type: ignore[union-attr]
        for s in solutions  # type: ignore[union-attr]
    )
    shaped = _periods(records) if table == "3w" else _one_row_per_figure(records)
    for record in shaped:
        yield {c.name: record.get(c.name, "") for c in cols}


def _periods(records: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    """A presence's year as HAPI's reference period: the whole year."""
    for record in records:
        if record.get("year"):
            record["reference_period_start"] = f"{record['year']}-01-01"
            record["reference_period_end"] = f"{record['year']}-12-31"
        yield record


def _one_row_per_figure(records: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    """Fold the query's figure × place rows (consecutive, places in name order) into one row per
    figure, its place names and codes joined in the same order: a value is never repeated, so
    a sum over the column is a sum over figures."""
    current: dict[str, str] | None = None
    names: list[str] = []
    codes: list[str] = []
    for record in records:
        if current is not None and record["figure"] != current["figure"]:
            yield {**current, "place_name": "; ".join(names), "place_code": "; ".join(codes)}
            current = None
        if current is None:
            current, names, codes = record, [], []
        if record.get("place_name"):
            names.append(record["place_name"])
            codes.append(record.get("place_code", ""))
    if current is not None:
        yield {**current, "place_name": "; ".join(names), "place_code": "; ".join(codes)}


def write_hxl(table: str, rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    """Write the rows as CSV: the column names, the HXL hashtag row, then the data (streamed).
    Returns the number of data rows."""
    cols = columns(table)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in cols])
    writer.writerow([c.hashtag for c in cols])
    count = 0
    for row in rows:
        writer.writerow([row[c.name] for c in cols])
        count += 1
    return count


def csvw_metadata(table: str, csv_name: str) -> dict[str, Any]:
    """CSVW metadata for an export written to `csv_name`: two header rows (the names, then the
    hashtags, both kept as the columns' titles), each column's datatype and description, and
    empty cells as nulls."""
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": csv_name,
        "dc:title": query_text("export", table).splitlines()[0].removeprefix("# title: "),
        "dialect": {"headerRowCount": 2},
        "tableSchema": {
            "columns": [
                {
                    "name": c.name,
                    "titles": [c.name, c.hashtag],
                    "datatype": c.datatype,
                    "dc:description": c.description,
                    "null": "",
                }
                for c in columns(table)
            ]
        },
    }


def metadata_path(csv_path: Path) -> Path:
    """Where CSVW processors look for a CSV file's metadata: `<file>-metadata.json`."""
    return csv_path.with_name(f"{csv_path.name}-metadata.json")


def write_atomically(path: Path, write: Callable[[IO[str]], T]) -> T:
    """Write a file whole, then move it in place: a failed export leaves the last file as it
    was and no partial file beside it."""
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            result = write(handle)
        os.replace(partial, path)
        return result
    finally:
        partial.unlink(missing_ok=True)
