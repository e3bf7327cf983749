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

from kg.query import load_query, run_query
from kg.store import open_store
from server_support import ARTIFACTS, Running, running_server, seed_store

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
                if urlsplit(url).netloc == own or url.startswith(("data:", "about:")):
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


def test_who_does_what_where_view(server: Running, page: tuple) -> None:  # type: ignore[type-arg]
    pg, blocked, errors = page
    pg.goto(server.url + "/")
    option = pg.locator("#place-select option", has_text="Mopti").first
    option.wait_for(state="attached")
    pg.select_option("#place-select", option.get_attribute("value"))
    pg.wait_for_selector("table.matrix tbody tr")
    assert pg.locator("table.matrix tbody tr").count() >= 1
    assert "Health" in pg.locator("table.matrix thead").inner_text()
    pg.locator("a.source-link").first.click()
    pg.wait_for_selector("#source-panel:not([hidden])")
    quote = pg.inner_text("#source-quote")
    assert quote and quote != "(no quote recorded)"
    assert "characters" in pg.inner_text("#source-where")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "query-page-who-does-what-where.png"), full_page=True)
    mali = pg.locator("#place-select option", has_text="Mali").first
    pg.select_option("#place-select", mali.get_attribute("value"))
    pg.wait_for_selector("table.matrix li.outcome")  # Mali's figures, each with its source
    assert pg.locator("table.matrix li.outcome a.source-link").count() >= 1
    pg.locator("table.matrix li.outcome a.source-link").first.click()
    pg.wait_for_selector("#source-panel:not([hidden])")
    pg.screenshot(path=str(ARTIFACTS / "query-page-figures-mali.png"), full_page=True)
    href = pg.locator("#source-where a").get_attribute("href")
    assert href and href.startswith("/id/")
    pg.goto(server.url + href)
    assert "Source words" in pg.inner_text("main")
    pg.screenshot(path=str(ARTIFACTS / "resource-page.png"), full_page=True)
    assert blocked == [] and errors == []
