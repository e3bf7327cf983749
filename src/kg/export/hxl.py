"""The 3W export: one row per reported presence, with HDX HAPI's operational-presence columns and
an HXL hashtag row, so HDX, libhxl and HXL Proxy read it as they read HAPI's own data.

The rows come from `queries/export/3w.rq` over the embedded store, its filters given as
bindings. Columns and hashtags are `THREE_W`: HAPI's names where HAPI has the column
(`org_name`, `sector_code`, `adm1_code`, `reference_period_start`…), HXL's tags from its
dictionary (`#org+name`, `#sector+code`, `#adm1+code`, `#date+start`, `#meta+source`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO

import pyoxigraph as ox

from kg.resources import query_text

# (HAPI-style column, HXL hashtag with attributes), in the order written
THREE_W: tuple[tuple[str, str], ...] = (
    ("org_name", "#org+name"),
    ("org_acronym", "#org+acronym"),
    ("org_type", "#org+type"),
    ("sector_code", "#sector+code"),
    ("sector_name", "#sector+name"),
    ("location_code", "#country+code+v_iso3"),
    ("adm1_name", "#adm1+name"),
    ("adm1_code", "#adm1+code"),
    ("adm2_name", "#adm2+name"),
    ("adm2_code", "#adm2+code"),
    ("reference_period_start", "#date+start"),
    ("reference_period_end", "#date+end"),
    ("source_report", "#meta+source"),
    ("source_url", "#meta+url"),
)


def three_w_rows(
    store: ox.Store,
    *,
    country: str | None = None,
    year: int | None = None,
    organisation: str | None = None,
) -> Iterator[dict[str, str]]:
    """The 3W rows of the store, filtered by country (ISO alpha-2 or alpha-3), year and
    organisation (a name, acronym or IRI), each value bound as a literal, never pasted."""
    bindings: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}
    if country:
        bindings[ox.Variable("param_country")] = ox.Literal(country)
    if year is not None:
        gyear = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
        bindings[ox.Variable("param_year")] = ox.Literal(f"{year:04d}", datatype=gyear)
    if organisation:
        bindings[ox.Variable("param_organisation")] = ox.Literal(organisation)
    solutions = store.query(
        query_text("export", "3w"), use_default_graph_as_union=True, substitutions=bindings
    )
    for solution in solutions:  # type: ignore[union-attr]
        row = {}
        for column, _ in THREE_W:
            term = solution[column] if column in _FROM_QUERY else None
            row[column] = _text(term)
        dated = _text(solution["year"])
        if dated:  # a year's presence: the whole year, as HAPI has it
            row["reference_period_start"] = f"{dated}-01-01"
            row["reference_period_end"] = f"{dated}-12-31"
        yield row


def _text(term: object) -> str:
    """A cell: the literal's lexical form, "" for an unbound one."""
    return str(getattr(term, "value", "")) if term is not None else ""


_FROM_QUERY = {c for c, _ in THREE_W} - {"reference_period_start", "reference_period_end"}


def write_hxl(rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    """Write the rows as CSV: the column names, the HXL hashtag row, then the data (streamed).
    Returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column for column, _ in THREE_W])
    writer.writerow([tag for _, tag in THREE_W])
    count = 0
    for row in rows:
        writer.writerow([row[column] for column, _ in THREE_W])
        count += 1
    return count
