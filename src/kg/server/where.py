"""Who does what where, as a page: the same view on `kg serve` (`/where?place=…`) and as one
standalone file (`kg report COUNTRY --html`).

The view's state is its address: `place`, `sector` and `year` are query parameters, so every
view can be sent as a link. It shows, for a place and the places inside it:

- an organisation × sector matrix of reported presence and outcome figures, each figure with
  the report's own words (sectors become rows when there are more than `WIDE_SECTORS`, so the
  matrix fits the width);
- a coverage table of the areas one level below (regions of a country, districts of a region)
  by sector, with the gaps (no organisation) in their own colour;
- a map of those areas and of the places with work, drawn as SVG from the coordinates the
  reference data gives (ISO 3166-2 via the iso3166-2 package, GeoNames towns): no tile server,
  nothing fetched.

The data comes from the SPARQL files in `queries/web/` through `run`, a function that runs a query
with bound values where the caller's queries run (a server worker, the embedded store), so the
page and the file are built by the same code from the same answers.

One file: the /where view is one page: its parameters, its three queries and its tables and map
render together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from kg.resources import query_text
from kg.server.render import Term, esc, local_href

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
WIDE_SECTORS = 5  # more sectors than this: sectors as rows, organisations as columns

Row = dict[str, Term]
# (query text, [(variable, N-Triples term)]) -> rows in the SPARQL JSON results shape
Run = Callable[[str, Sequence[tuple[str, str]]], list[Row]]
Link = Callable[[str], str]


@cache
def web_query(name: str) -> str:
    return query_text("web", name)


def iri_term(iri: str) -> str:
    return f"<{iri}>"


def literal_term(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid N-Triples literal


def _v(row: Row, name: str) -> str | None:
    term = row.get(name)
    return None if term is None else str(term.get("value"))


# --- state -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewState:
    """What the address says: the place (an IRI, a name in any language or an ISO 3166 code),
    and optionally a sector (IRI or label) and a year."""

    place: str = ""
    sector: str = ""
    year: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, Sequence[str]]) -> ViewState:
        def first(name: str) -> str:
            values = params.get(name) or [""]
            return values[0].strip()

        return cls(first("place"), first("sector"), first("year"))

    def query_string(self, **changes: str) -> str:
        values = {"place": self.place, "sector": self.sector, "year": self.year, **changes}
        return urlencode([(k, v) for k, v in values.items() if v])


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceOption:
    iri: str
    label: str
    level: int
    parent: str | None
    organisations: int
    lat: float | None
    long: float | None


@dataclass(frozen=True)
class Source:
    quote: str
    report: str
    start: str | None
    end: str | None


@dataclass
class Item:
    """One presence or outcome figure of an organisation in a sector."""

    iri: str
    org: str
    organisation: str
    sector: str  # the sector IRI, "" for none
    kind: str  # presence | outcome
    value: str
    qualifier: str
    indicator: str
    year: str
    places: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)


@dataclass
class Area:
    """An area one level below the chosen place, with the organisations working in it by sector."""

    iri: str
    label: str
    lat: float | None
    long: float | None
    work: dict[str, set[str]] = field(default_factory=dict)  # sector IRI -> organisation IRIs


@dataclass
class View:
    state: ViewState
    places: list[PlaceOption]
    place: PlaceOption | None = None
    problem: str | None = None  # why no place is shown (nothing matched, and the suggestions)
    suggestions: list[str] = field(default_factory=list)
    organisations: dict[str, str] = field(default_factory=dict)  # IRI -> label
    sectors: dict[str, str] = field(default_factory=dict)  # IRI ("" none) -> label
    years: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    points: dict[str, tuple[str, float, float]] = field(default_factory=dict)  # work places
    sector_iris: set[str] = field(default_factory=set)  # the sector the state names
    sector_labels: dict[str, str] = field(default_factory=dict)  # every sector of the scheme
    broader: dict[str, set[str]] = field(default_factory=dict)  # sector -> sectors above it


def _float(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def list_places(run: Run) -> list[PlaceOption]:
    """Every place with reported work in it or inside it, by level then name."""
    out: dict[str, PlaceOption] = {}
    for row in run(web_query("places"), []):
        iri = _v(row, "place") or ""
        if iri in out:  # one parent label is enough
            continue
        out[iri] = PlaceOption(
            iri=iri,
            label=_v(row, "label") or iri,
            level=int(_v(row, "level") or 9),
            parent=_v(row, "parentLabel"),
            organisations=int(_v(row, "organisations") or 0),
            lat=_float(_v(row, "lat")),
            long=_float(_v(row, "long")),
        )
    return list(out.values())


HKG_PLACE = "https://w3id.org/humanitarian-kg/ontology#Place"
HKG_SECTOR = "https://w3id.org/humanitarian-kg/ontology#Sector"


def lookup(run: Run, asked: str, cls: str) -> list[tuple[str, str]]:
    """(IRI, label) of the things of class `cls` that `asked` names (IRI, name in any language
    lower-cased, ISO 3166 code), highest level first."""
    rows = run(
        web_query("lookup"),
        [
            ("param_key", literal_term(asked.lower())),
            ("param_code", literal_term(asked.upper())),
            ("param_class", iri_term(cls)),
        ],
    )
    found = [(_v(r, "thing") or "", _v(r, "label") or "") for r in rows]
    return list(dict.fromkeys(found))


def find_place(run: Run, asked: str, places: list[PlaceOption]) -> PlaceOption | None:
    """The place `asked` names that has work in it: of several, the highest level (a country
    before a region of the same name)."""
    by_iri = {p.iri: p for p in places}
    for iri, _label in lookup(run, asked, HKG_PLACE):
        if iri in by_iri:
            return by_iri[iri]
    return None


def gather(run: Run, state: ViewState) -> View:
    """Everything the view shows for `state`, from three or four queries."""
    view = View(state, list_places(run))
    for row in run(web_query("sectors"), []):
        view.sector_labels[_v(row, "sector") or ""] = _v(row, "label") or ""
        if _v(row, "broader"):
            view.broader.setdefault(_v(row, "sector") or "", set()).add(_v(row, "broader") or "")
    if not state.place:
        return view
    from kg.query.named import closest

    place = find_place(run, state.place, view.places)
    if place is None:
        view.problem = f"no place with reported work is called {state.place!r}"
        view.suggestions = closest(state.place, [p.label for p in view.places])
        return view
    if state.sector:
        sectors = lookup(run, state.sector, HKG_SECTOR)
        if not sectors:
            names = list(view.sector_labels.values())
            view.problem = f"no sector is called {state.sector!r}"
            view.suggestions = closest(state.sector, names)
            return view
        view.sector_iris = {iri for iri, _label in sectors}
        for iri, label in sectors:
            view.sectors.setdefault(iri, label)
    view.place = place
    bound = [("param_place", iri_term(place.iri))]
    _read_items(view, run(web_query("place-matrix"), bound))
    _read_areas(view, run(web_query("place-areas"), bound))
    return view


def _sector_matches(view: View, sector: str) -> bool:
    """Is work in `sector` work in the sector the state names (itself or one below it)?"""
    if not view.state.sector:
        return True
    return bool(({sector} | view.broader.get(sector, set())) & view.sector_iris)


def _read_items(view: View, rows: list[Row]) -> None:
    items: dict[tuple[str, str, str], Item] = {}
    years: set[str] = set()
    for row in rows:
        org, sector, iri = _v(row, "org") or "", _v(row, "sectorIri") or "", _v(row, "item") or ""
        view.organisations.setdefault(org, _v(row, "organisation") or org)
        view.sectors.setdefault(sector, _v(row, "sector") or "(no sector)")
        year = _v(row, "year") or ""
        if year:
            years.add(year)
        key = (org, sector, iri)
        item = items.get(key)
        if item is None:
            item = items[key] = Item(
                iri=iri,
                org=org,
                organisation=view.organisations[org],
                sector=sector,
                kind=_v(row, "kind") or "",
                value=_format_value(_v(row, "value"), _v(row, "unit")),
                qualifier=_v(row, "qualifier") or "",
                indicator=_v(row, "indicator") or "",
                year=year,
            )
        name = _v(row, "placeName")
        if name and name not in item.places:
            item.places.append(name)
        lat, long = _float(_v(row, "lat")), _float(_v(row, "long"))
        place_iri = _v(row, "placeIri")
        if place_iri and name and lat is not None and long is not None:
            view.points[place_iri] = (name, lat, long)
        quote = _v(row, "quote")
        start = _v(row, "start")
        if quote and not any(s.start == start for s in item.sources):
            item.sources.append(Source(quote, _v(row, "report") or "", start, _v(row, "end")))
    view.years = sorted(years)
    view.items = [
        i
        for i in items.values()
        if _sector_matches(view, i.sector) and (not view.state.year or i.year == view.state.year)
    ]


def _read_areas(view: View, rows: list[Row]) -> None:
    areas: dict[str, Area] = {}
    for row in rows:
        iri = _v(row, "area") or ""
        area = areas.get(iri)
        if area is None:
            area = areas[iri] = Area(
                iri, _v(row, "label") or iri, _float(_v(row, "lat")), _float(_v(row, "long"))
            )
        org, sector = _v(row, "org"), _v(row, "sectorIri") or ""
        if org is None or (view.state.year and _v(row, "year") != view.state.year):
            continue
        for within in {sector} | view.broader.get(sector, set()):  # GBV work is Protection work
            if not view.state.sector or within in view.sector_iris:
                area.work.setdefault(within, set()).add(org)
                view.sectors.setdefault(within, view.sector_labels.get(within, within))
    view.areas = sorted(areas.values(), key=lambda a: (a.label.casefold(), a.iri))


def _format_value(value: str | None, unit: str | None) -> str:
    if value is None:
        return ""
    try:
        number = float(value)
    except ValueError:
        return value
    text = f"{int(number):,}" if number.is_integer() else f"{number:,}"
    return text + "%" if unit == "percent" else text


# --- HTML --------------------------------------------------------------------------------------


def server_link(iri: str) -> str:
    """On `kg serve`: the project's IRIs are pages of this server."""
    return local_href(iri) or iri


def iri_link(iri: str) -> str:
    """In a standalone file: the IRI itself (w3id.org resolves it)."""
    return iri


def render(view: View, link: Link = server_link, action: str = "/where") -> str:
    """The view's HTML (inside <main>). `action` is where the form sends the state: the server
    page, or "" for a standalone file, which has no form."""
    parts = []
    if action:
        parts.append(_form(view, action))
    if view.problem:
        hint = ""
        if view.suggestions:
            links = ", ".join(
                f'<a href="?{esc(view.state.query_string(place=s))}">{esc(s)}</a>'
                for s in view.suggestions
            )
            hint = f" Did you mean {links}?"
        parts.append(f'<p class="status error" id="where-problem">{esc(view.problem)}.{hint}</p>')
        return "".join(parts)
    if view.place is None:
        parts.append('<p class="status">Choose a place to see who works there.</p>')
        return "".join(parts)
    parts.append(_summary(view, view.place))
    parts.append(_matrix(view, link))
    parts.append(_coverage(view, action))
    parts.append(_map(view))
    return "".join(parts)


def _form(view: View, action: str) -> str:
    groups: dict[int, list[PlaceOption]] = {}
    for p in view.places:
        groups.setdefault(min(p.level, 4), []).append(p)
    names = {0: "Countries", 1: "Regions (admin 1)", 2: "Districts (admin 2)"}
    names |= {3: "Communes (admin 3)", 4: "Towns, villages and camps"}
    labels = [p.label for p in view.places]
    chosen = view.place.iri if view.place else ""
    options = ['<option value="">— choose a place —</option>']
    for level in sorted(groups):
        inner = []
        for p in groups[level]:
            shown = p.label
            if labels.count(p.label) > 1 and p.parent:
                shown += f", {p.parent}"  # the same name twice: say where each one is
            count = counted(p.organisations, "organisation")
            selected = " selected" if p.iri == chosen else ""
            inner.append(
                f'<option value="{esc(p.iri)}"{selected}>{esc(shown)} ({esc(count)})</option>'
            )
        options.append(f'<optgroup label="{esc(names[level])}">{"".join(inner)}</optgroup>')
    sectors = ['<option value="">all sectors</option>'] + [
        f'<option value="{esc(iri)}"{" selected" if iri in view.sector_iris else ""}>'
        f"{esc(label)}</option>"
        for iri, label in sorted(view.sector_labels.items(), key=lambda kv: kv[1].casefold())
        if iri
    ]
    years = ['<option value="">all years</option>'] + [
        f"<option{' selected' if y == view.state.year else ''}>{esc(y)}</option>"
        for y in view.years
    ]
    return (
        f'<form class="where-form" method="get" action="{esc(action)}">'
        '<label for="place-select">Place</label>'
        f'<select id="place-select" name="place">{"".join(options)}</select>'
        '<label for="sector-select">Sector</label>'
        f'<select id="sector-select" name="sector">{"".join(sectors)}</select>'
        '<label for="year-select">Year</label>'
        f'<select id="year-select" name="year">{"".join(years)}</select>'
        '<button type="submit">Show</button></form>'
    )


def counted(n: int, word: str) -> str:
    """ "1 organisation", "2 organisations"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(view: View, place: PlaceOption) -> str:
    orgs = {i.org for i in view.items}
    sectors = {i.sector for i in view.items}
    gaps = sum(1 for _area, _sector, n in _coverage_cells(view) if n == 0)
    scope = []
    if view.sector_iris:
        names = sorted(
            view.sector_labels.get(i) or view.sectors.get(i, i) for i in view.sector_iris
        )
        scope.append(f"sector {', '.join(names)}")
    if view.state.year:
        scope.append(f"year {view.state.year}")
    within = f" ({', '.join(scope)})" if scope else ""
    return (
        f'<h2 id="where-title">Who does what in {esc(place.label)}{esc(within)}</h2>'
        f'<p class="status" id="where-summary">{counted(len(orgs), "organisation")}, '
        f"{counted(len(sectors), 'sector')}, {counted(len(view.items), 'fact')}; "
        f"{counted(gaps, 'gap')} in {counted(len(view.areas), 'area')} below.</p>"
    )


def _cell(items: list[Item], link: Link) -> str:
    if not items:
        return ""
    out = []
    for item in items:
        if item.kind == "presence":
            year = f" ({esc(item.year)})" if item.year else ""
            text = f'<span class="badge">present</span> {esc(", ".join(item.places))}{year}'
        else:
            what = [item.indicator]
            if item.qualifier and item.qualifier != "exact":
                what.append(f"({item.qualifier})")
            if item.year:
                what.append(f"— {item.year}")
            text = (
                f"<strong>{esc(item.value)}</strong> {esc(' '.join(w for w in what if w))}"
                f'<span class="places"> · {esc(", ".join(item.places))}</span>'
            )
        for source in item.sources:
            where = f"report {source.report}, characters {source.start}–{source.end}"
            text += (
                '<details class="source"><summary>source</summary>'
                f"<blockquote>{esc(source.quote)}</blockquote>"
                f'<p>{esc(where)} · <a href="{esc(link(item.iri))}">the figure\'s page</a></p>'
                "</details>"
            )
        out.append(f'<li class="{esc(item.kind)}">{text}</li>')
    return f'<ul class="cell">{"".join(out)}</ul>'


def _matrix(view: View, link: Link) -> str:
    orgs = sorted({i.org for i in view.items}, key=lambda o: view.organisations[o].casefold())
    sectors = sorted(
        {i.sector for i in view.items},
        key=lambda s: (s == "", view.sectors.get(s, "").casefold()),
    )
    if not orgs:
        return '<p class="status">No organisation reports work here for this choice.</p>'

    def org_head(org: str) -> str:
        return f'<a href="{esc(link(org))}">{esc(view.organisations[org])}</a>'

    def sector_head(sector: str) -> str:
        return esc(view.sectors.get(sector, "(no sector)"))

    def items_of(org: str, sector: str) -> list[Item]:
        return [i for i in view.items if i.org == org and i.sector == sector]

    sectors_as_rows = len(sectors) > WIDE_SECTORS
    rows_keys, cols_keys = (sectors, orgs) if sectors_as_rows else (orgs, sectors)
    row_head, col_head = (sector_head, org_head) if sectors_as_rows else (org_head, sector_head)
    corner = "sector" if sectors_as_rows else "organisation"
    head = f'<th scope="col">{corner}</th>' + "".join(
        f'<th scope="col">{col_head(c)}</th>' for c in cols_keys
    )
    body = []
    for r in rows_keys:
        cells = []
        for c in cols_keys:
            org, sector = (c, r) if sectors_as_rows else (r, c)
            cells.append(f"<td>{_cell(items_of(org, sector), link)}</td>")
        body.append(f'<tr><th scope="row">{row_head(r)}</th>{"".join(cells)}</tr>')
    orientation = "sectors-as-rows" if sectors_as_rows else "sectors-as-columns"
    return (
        f'<h3>Organisations by sector</h3><div class="table-wrap">'
        f'<table class="matrix {orientation}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _coverage_sectors(view: View) -> list[str]:
    """The sectors anyone works in here, or the one asked for even when no one does."""
    if view.state.sector:
        present = set(view.sector_iris)
    else:
        present = {s for a in view.areas for s in a.work} | {i.sector for i in view.items}
    return sorted((s for s in present if s), key=lambda s: (view.sectors.get(s) or s).casefold())


def _coverage_cells(view: View) -> list[tuple[Area, str, int]]:
    """(area, sector, how many organisations work there in it), area by area."""
    sectors = _coverage_sectors(view)
    return [
        (area, sector, len(area.work.get(sector, ()))) for area in view.areas for sector in sectors
    ]


def _coverage(view: View, action: str) -> str:
    sectors = _coverage_sectors(view)
    if not view.areas or not sectors:
        return ""
    head = '<th scope="col">area</th>' + "".join(
        f'<th scope="col">{esc(view.sectors.get(s, s))}</th>' for s in sectors
    )
    cells: dict[str, list[str]] = {}  # area IRI -> its cells, in the order of `sectors`
    for area, sector, n in _coverage_cells(view):
        what = f"{area.label}, {view.sectors.get(sector, sector)}: "
        what += counted(n, "organisation") if n else "no one"
        css = "covered" if n else "gap"
        text = str(n) if n else "–"
        if action:
            href = "?" + view.state.query_string(place=area.iri, sector=sector)
            text = f'<a href="{esc(href)}">{text}</a>'
        cells.setdefault(area.iri, []).append(f'<td class="{css}" title="{esc(what)}">{text}</td>')
    body = [
        f'<tr><th scope="row">{esc(area.label)}</th>{"".join(cells[area.iri])}</tr>'
        for area in view.areas
    ]
    return (
        "<h3>Coverage of the areas below</h3>"
        '<p class="legend">How many organisations report work in each area and sector; '
        '<span class="gap">–</span> marks a gap: no one does.</p>'
        f'<div class="table-wrap"><table class="coverage"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


# --- the map -----------------------------------------------------------------------------------

MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 640, 420, 40


def _map(view: View) -> str:
    """Areas (coloured by coverage) and places with work, projected equirectangularly with the
    longitude scaled by the cosine of the middle latitude, fitted to the drawing."""
    marks: list[tuple[str, str, float, float, str]] = []  # (css, label, lat, long, title)
    for area in view.areas:
        if area.lat is None or area.long is None:
            continue
        orgs = set().union(*area.work.values()) if area.work else set()
        css = "area covered" if orgs else "area gap"
        title = f"{area.label}: {counted(len(orgs), 'organisation')}"
        marks.append((css, area.label, area.lat, area.long, title))
    shown = {m[1] for m in marks}
    for name, lat, long in sorted(view.points.values()):
        if name not in shown:
            marks.append(("work", name, lat, long, f"{name}: work reported here"))
            shown.add(name)
    missing = sorted(
        {a.label for a in view.areas if a.lat is None}
        | {p for i in view.items for p in i.places if p not in shown}
    )
    note = ""
    if missing:
        note = (
            '<p class="legend">Not on the map (no coordinates in the reference data): '
            f"{esc(', '.join(missing))}.</p>"
        )
    if not marks:
        return '<h3>Map</h3><p class="status">No place here has coordinates.</p>' + note
    lats = [m[2] for m in marks]
    longs = [m[3] for m in marks]
    squeeze = math.cos(math.radians((max(lats) + min(lats)) / 2))
    span_x = max((max(longs) - min(longs)) * squeeze, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((MAP_WIDTH - 2 * MAP_MARGIN) / span_x, (MAP_HEIGHT - 2 * MAP_MARGIN) / span_y)
    if len(marks) == 1:
        scale = 1.0

    def xy(lat: float, long: float) -> tuple[float, float]:
        x = MAP_MARGIN + (long - min(longs)) * squeeze * scale
        y = MAP_HEIGHT - MAP_MARGIN - (lat - min(lats)) * scale
        return round(x, 1), round(y, 1)

    shapes = []
    for css, label, lat, long, title in marks:
        x, y = xy(lat, long)
        radius = 6 if css.startswith("area") else 4
        shapes.append(
            f'<g class="{css}"><title>{esc(title)}</title>'
            f'<circle cx="{x}" cy="{y}" r="{radius}"/>'
            f'<text x="{x + 8}" y="{y + 4}">{esc(label)}</text></g>'
        )
    return (
        '<h3>Map</h3><figure class="map">'
        f'<svg id="where-map" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="img" '
        f'aria-label="Map of {esc(view.place.label if view.place else "")}">'
        f'<rect class="frame" x="0" y="0" width="{MAP_WIDTH}" height="{MAP_HEIGHT}"/>'
        f"{''.join(shapes)}</svg>"
        '<figcaption><span class="key covered">●</span> area with work · '
        '<span class="key gap">●</span> area where no one reports work · '
        '<span class="key work">●</span> place named in the work. Positions: ISO 3166-2 '
        "(iso3166-2 package) and GeoNames.</figcaption></figure>" + note
    )


# --- whole pages -------------------------------------------------------------------------------


def title(view: View) -> str:
    return f"Who does what where: {view.place.label}" if view.place else "Who does what where"


def standalone_page(view: View, generated_by: str) -> str:
    """One HTML file with its style inside and no script: what `kg report --html` writes."""
    style = (WEB_DIR / "style.css").read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title(view))} · humanitarian-kg</title>"
        f"<style>{style}</style></head><body>"
        f"<main><h1>{esc(title(view))}</h1>{render(view, iri_link, action='')}</main>"
        f"<footer>{esc(generated_by)}</footer></body></html>\n"
    )


def store_runner(store: Any) -> Run:
    """`run` over the embedded store (pyoxigraph), for `kg report`."""
    import pyoxigraph as ox

    from kg.server.guard import parse_term

    def run(text: str, bindings: Sequence[tuple[str, str]]) -> list[Row]:
        result = store.query(
            text,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): parse_term(v) for k, v in bindings} or None,
        )
        data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
        return list(data["results"]["bindings"])

    return run


def text_report(view: View) -> str:
    """The view as plain text for the terminal: who works where by sector, then the gaps."""
    if view.place is None:
        return view.problem or "no place chosen"
    lines = [f"{title(view)}"]
    for org in sorted({i.org for i in view.items}, key=lambda o: view.organisations[o]):
        mine = [i for i in view.items if i.org == org]
        sectors = sorted({view.sectors.get(i.sector, "(no sector)") for i in mine})
        figures = counted(sum(1 for i in mine if i.kind == "outcome"), "figure")
        lines.append(
            f"  {view.organisations[org]}: {', '.join(sectors)} ({figures} with a place here)"
        )
    gaps = [(a, s) for a, s, n in _coverage_cells(view) if n == 0]
    if view.areas:
        lines.append(f"gaps (area and sector where no one reports work): {len(gaps)}")
        for area in view.areas:
            missing = [view.sectors.get(s, s) for a, s in gaps if a is area]
            if missing:
                lines.append(f"  {area.label}: {', '.join(missing)}")
    return "\n".join(lines)
