"""The query page in a real browser: Debian's headless Chromium, driven by Playwright.

Playwright's own browser download is never used: the test launches /usr/bin/chromium
(`apt-get install chromium`) and is skipped, with the reason, when either is missing. Every
request the page makes to a host other than the test server is blocked and reported: the
page must work with nothing from the internet. Screenshots land in build/test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kg.query.named import load_query, run_query
from kg.store import open_store
from server_support import ARTIFACTS, Running, running_server, seed_store

pytestmark = pytest.mark.slow  # Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "no chromium executable (Debian: apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed"
)

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints",
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[Running]:
    with running_server(store_path, timeout=30.0, workers=2) as running:
        yield running


@pytest.fixture()
def page(server: Running, tmp_path: Path) -> Iterator[tuple[object, list[str], list[str]]]:
    """A page in a fresh profile; (page, blocked requests, console errors)."""
    blocked: list[str] = []
    errors: list[str] = []
    own = urlsplit(server.url).netloc
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:

            def route(route: object) -> None:
                url = route.request.url  # type: ignore[attr-defined]
                if urlsplit(url).netloc == own or url.startswith(("data:", "about:", "file:")):
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    blocked.append(url)
                    route.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            pg = context.new_page()
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            yield pg, blocked, errors
        finally:
            context.close()


def test_run_a_named_query_and_see_rows(server: Running, store_path: Path, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.goto(server.url + "/")
    pg.wait_for_selector("#example-select option[value='who-what-where']", state="attached")
    pg.select_option("#example-select", "who-what-where")
    assert "PREFIX hkg:" in pg.input_value("#query-text")
    pg.click("#run-query")
    pg.wait_for_selector("table.results tbody tr")
    rows = pg.locator("table.results tbody tr").count()
    expected = run_query(open_store(store_path), load_query("who-what-where"))
    assert rows == len(expected.rows) > 0
    headers = pg.locator("table.results thead th").all_inner_texts()
    assert headers == expected.columns  # the ?param_… columns are hidden, as in kg query
    assert pg.inner_text("#query-status").startswith(f"{rows} rows")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "query-page-who-what-where.png"), full_page=True)
    assert blocked == [] and errors == []


def test_named_query_with_a_parameter(server: Running, store_path: Path, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.goto(server.url + "/")
    pg.wait_for_selector("#example-select option[value='organisations-in']", state="attached")
    pg.select_option("#example-select", "organisations-in")
    pg.fill("#param-place", "Timbuktu")
    pg.click("#run-query")
    pg.wait_for_selector("table.results tbody tr")
    expected = run_query(
        open_store(store_path), load_query("organisations-in"), {"place": "Timbuktu"}
    )
    cells = pg.locator("table.results tbody tr td:first-child").all_inner_texts()
    assert cells == [row[0] for row in expected.rows]
    assert blocked == [] and errors == []


def test_errors_are_shown(server: Running, page: tuple) -> None:  # type: ignore[type-arg]
    pg, _blocked, _errors = page
    pg.goto(server.url + "/")
    pg.fill("#query-text", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    pg.click("#run-query")
    pg.wait_for_selector("#query-status.error")
    assert pg.inner_text("#query-status").startswith("HTTP 403")


def test_who_does_what_where_from_the_picker(server: Running, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.goto(server.url + "/")
    option = pg.locator("#place-select option", has_text="Mopti").first
    option.wait_for(state="attached")
    pg.select_option("#place-select", option.get_attribute("value"))
    pg.wait_for_url("**/where?place=*")  # choosing a place changes the address
    assert "place=" in pg.url
    pg.wait_for_selector("table.matrix tbody tr")
    assert "Mopti" in pg.inner_text("#where-title")
    assert pg.locator("#place-select option:checked").inner_text().startswith("Mopti")
    pg.locator("details.source summary").first.click()
    quote = pg.locator("details.source[open] blockquote").first.inner_text()
    assert quote.strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "where-mopti.png"), full_page=True)
    href = pg.locator("details.source[open] a").first.get_attribute("href")
    assert href and href.startswith("/id/")
    pg.goto(server.url + href)
    assert "Source words" in pg.inner_text("main")
    pg.screenshot(path=str(ARTIFACTS / "resource-page.png"), full_page=True)
    assert blocked == [] and errors == []


def _view_text(pg: object) -> dict[str, str]:
    return {
        name: pg.inner_text(selector)  # type: ignore[attr-defined]
        for name, selector in (
            ("title", "#where-title"),
            ("summary", "#where-summary"),
            ("matrix", "table.matrix"),
            ("coverage", "table.coverage"),
        )
    }


def test_a_shared_link_opens_the_same_view(server: Running, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.goto(server.url + "/where")
    pg.select_option(
        "#place-select",
        label=pg.locator("#place-select option", has_text="Mali").first.inner_text(),
    )
    pg.select_option("#sector-select", label="Protection")
    pg.click("form.where-form button[type=submit]")
    pg.wait_for_selector("table.coverage")
    link = pg.url
    assert "sector=" in link and "place=" in link
    seen = _view_text(pg)
    pg.goto(server.url + "/")  # somewhere else, then the colleague opens the link
    pg.goto(link)
    pg.wait_for_selector("table.coverage")
    assert _view_text(pg) == seen
    assert pg.locator("#sector-select option:checked").inner_text() == "Protection"
    by_name = pg.url.split("?")[0] + "?place=Mali&sector=protection"  # typed by hand
    pg.goto(by_name)
    pg.wait_for_selector("table.coverage")
    assert _view_text(pg) == seen
    assert blocked == [] and errors == []


def test_the_view_fits_the_width_and_shows_gaps(server: Running, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.set_viewport_size({"width": 1000, "height": 900})
    pg.goto(server.url + "/where?place=Mali")
    pg.wait_for_selector("table.matrix")
    assert pg.locator("table.matrix.sectors-as-rows").count() == 1  # many sectors: as rows
    overflow = pg.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('table.matrix').getBoundingClientRect().right,"
        " document.querySelector('table.coverage').getBoundingClientRect().right]"
    )
    page_width, window_width, matrix_right, coverage_right = overflow
    assert page_width <= window_width and matrix_right <= window_width
    assert coverage_right <= window_width
    colour = "el => getComputedStyle(el).backgroundColor"
    gap = pg.locator("td.gap").first.evaluate(colour)
    covered = pg.locator("td.covered").first.evaluate(colour)
    plain = pg.locator("table.matrix td").first.evaluate(colour)
    assert len({gap, covered, plain}) == 3, (gap, covered, plain)
    circles = pg.locator("#where-map circle")
    assert circles.count() >= 5
    box = pg.locator("#where-map").bounding_box()
    assert box and box["width"] > 300 and box["x"] + box["width"] <= window_width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "where-mali.png"), full_page=True)
    assert blocked == [] and errors == []


def test_the_standalone_country_page_renders(
    store_path: Path,
    page: tuple,
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    out = tmp_path / "mali.html"
    result = CliRunner().invoke(
        app, ["report", "Mali", "--html", str(out), "--store", str(store_path)]
    )
    assert result.exit_code == 0, result.output
    pg, blocked, errors = page
    pg.goto(out.as_uri())
    pg.wait_for_selector("table.coverage td.gap")
    assert "Who does what where: Mali" in pg.inner_text("h1")
    assert pg.locator("#where-map circle").count() >= 5
    assert pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "report-mali.png"), full_page=True)
    assert blocked == [] and errors == []
