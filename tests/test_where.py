"""Who does what where (kg.server.where): state in the address, gaps, sectors as rows, the SVG map,
the standalone page of `kg report`, and the same view on `kg serve`'s /where page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import GEO, entity
from kg.reference.loader import world_places_graph
from kg.server import where
from kg.store import open_store
from server_support import request, running_server, seed_store

MALI = str(entity("place", "ml"))
TIMBUKTU = str(entity("place", "ml-6"))
PROTECTION = str(entity("sector", "protection"))
runner = CliRunner()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


@pytest.fixture(scope="module")
def run(store_path: Path) -> where.Run:
    return where.store_runner(open_store(store_path))


class _Tags(HTMLParser):
    """Every start tag with its attributes: enough to check a page without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


# --- the state is the address --------------------------------------------------------------

values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).map(str.strip)


@given(values, values, values)
def test_state_survives_its_own_address(place: str, sector: str, year: str) -> None:
    state = where.ViewState(place, sector, year)
    assert where.ViewState.from_query(parse_qs(state.query_string())) == state


@pytest.mark.slow
def test_a_place_by_any_name_or_code(run: where.Run) -> None:
    for asked in ("Mali", "mali", "ML", MALI):
        assert where.gather(run, where.ViewState(asked)).place.iri == MALI  # type: ignore[union-attr]
    view = where.gather(run, where.ViewState("Tombouctou"))  # French name of the region
    assert view.place is not None and view.place.iri == TIMBUKTU


def test_unknown_place_or_sector_suggests_the_closest(run: where.Run) -> None:
    view = where.gather(run, where.ViewState("Mli"))
    assert view.place is None and view.problem and "Mali" in view.suggestions
    page = where.render(view)
    assert 'id="where-problem"' in page and "place=Mali" in page  # the suggestion is a link
    view = where.gather(run, where.ViewState("Mali", sector="helth"))
    assert view.problem == "no sector is called 'helth'" and "Health" in view.suggestions


# --- what the view shows -------------------------------------------------------------------


def test_areas_below_with_gaps_and_sub_sectors_counted(run: where.Run) -> None:
    view = where.gather(run, where.ViewState("Mali", sector="Protection"))
    assert view.place is not None and view.place.iri == MALI
    by_label = {a.label: a for a in view.areas}
    # IMC's gender-based violence work in Gao counts as Protection there, as in `kg query gaps`
    assert by_label["Gao"].work.get(PROTECTION)
    assert not by_label["Kayes"].work.get(PROTECTION)
    page = where.render(view)
    assert re.search(r'<td class="gap" title="Kayes, Protection: no one"><a [^>]*>–</a></td>', page)
    assert re.search(r'<td class="covered" title="Gao, Protection: 1 organisation">', page)
    assert "Gender-based violence" in page  # the matrix keeps the work's own sector


def test_coverage_agrees_with_the_gaps_query(store_path: Path, run: where.Run) -> None:
    from kg.query.named import load_query, run_query

    result = run_query(open_store(store_path), load_query("gaps"), {"country": "Mali"})
    expected = {(row[0], row[1]) for row in result.rows}
    view = where.gather(run, where.ViewState("Mali"))
    shown = {(a.label, view.sectors[s]) for a, s, n in where._coverage_cells(view) if n == 0}
    iso = {a.label for a in view.areas if a.lat is not None}  # gaps lists ISO regions
    assert {pair for pair in shown if pair[0] in iso} <= expected
    assert shown


@pytest.mark.slow
def test_many_sectors_become_rows(run: where.Run) -> None:
    wide = where.gather(run, where.ViewState("Mali"))
    assert len({i.sector for i in wide.items}) > where.WIDE_SECTORS
    assert 'class="matrix sectors-as-rows"' in where.render(wide)
    narrow = where.gather(run, where.ViewState("Mali", sector="Protection"))
    assert 'class="matrix sectors-as-columns"' in where.render(narrow)


@pytest.mark.slow
def test_year_filter_keeps_only_that_year(run: where.Run) -> None:
    view = where.gather(run, where.ViewState("Mali"))
    year = view.years[0]
    dated = where.gather(run, where.ViewState("Mali", year=year))
    assert dated.items and all(i.year == year for i in dated.items)
    assert len(dated.items) < len(view.items)


def test_same_name_twice_in_the_picker_says_where() -> None:
    places = [
        where.PlaceOption("urn:a", "Kati", 2, "Koulikoro", 2, None, None),
        where.PlaceOption("urn:b", "Kati", 4, "Kati", 1, None, None),
        where.PlaceOption("urn:c", "Gao", 1, "Mali", 3, None, None),
    ]
    form = where.render(where.View(where.ViewState(), places))
    assert "Kati, Koulikoro (2 organisations)" in form and "Kati, Kati (1 organisation)" in form
    assert ">Gao (3 organisations)<" in form
    assert form.count("<optgroup") == 3


def test_map_draws_areas_from_reference_coordinates(run: where.Run) -> None:
    view = where.gather(run, where.ViewState("Mali"))
    page = where.render(view)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<circle") >= 5
    assert '<g class="area gap">' in svg and '<g class="area covered">' in svg
    assert "Not on the map" in page  # the areas with no coordinates are named, not dropped
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.slow
def test_coordinates_come_from_the_iso3166_2_package() -> None:
    from iso3166_2 import Subdivisions

    graph = world_places_graph()
    lat, long = Subdivisions()["ML"]["ML-6"]["latLng"]
    assert float(graph.value(entity("place", "ml-6"), GEO.lat)) == pytest.approx(lat, abs=1e-4)
    assert float(graph.value(entity("place", "ml-6"), GEO.long)) == pytest.approx(long, abs=1e-4)


# --- kg report and /where ------------------------------------------------------------------


def test_kg_report_writes_a_standalone_page(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "mali.html"
    result = runner.invoke(app, ["report", "Mali", "--html", str(out), "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<style>" in page and "<script" not in page and 'rel="stylesheet"' not in page
    for tag, attrs in tags(page):
        for name in ("src", "href"):
            link = attrs.get(name) or ""
            assert not link.startswith("/"), f"{tag} {name}={link} needs a server"
            assert link.startswith(("https://w3id.org/", "#")) or not link, link
    assert "Who does what where: Mali" in page and "<svg" in page


def test_kg_report_text_and_unknown_place(store_path: Path) -> None:
    result = runner.invoke(app, ["report", "Mali", "--store", str(store_path)])
    assert result.exit_code == 0 and "gaps (area and sector where no one reports work)" in (
        result.output
    )
    result = runner.invoke(app, ["report", "Mli", "--store", str(store_path)])
    assert result.exit_code == 1 and "did you mean: Mali" in result.output


@pytest.mark.slow
def test_where_page_is_the_same_view_as_kg_report(store_path: Path, run: where.Run) -> None:
    with running_server(store_path, timeout=30.0, workers=1) as server:
        answer = request(f"{server.url}/where?place={quote('Mali')}&sector=Protection")
        assert answer.status == 200 and answer.media_type == "text/html"
        body = answer.body.decode("utf-8")
        view = where.gather(run, where.ViewState("Mali", sector="Protection"))
        expected = where.render(view)
        table = re.compile(r'<table class="coverage">.*?</table>', re.S)
        assert table.search(body).group(0) == table.search(expected).group(0)  # type: ignore[union-attr]
        missing = request(f"{server.url}/where?place=Mli")
        assert missing.status == 404 and "Did you mean" in missing.body.decode("utf-8")
