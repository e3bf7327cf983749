"""The `kg` command: a few lines per command over the library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rdflib import Graph
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from kg import __version__
from kg.build import build as run_build
from kg.emit import emit_report
from kg.extract import extract_report
from kg.extract.lexicons import default_lexicons
from kg.highlight import render as render_html
from kg.model import Extraction
from kg.query import QueryError, QueryResult, list_queries, load_query, run_query
from kg.reports import ReportError, find_reports, read_report
from kg.store import DEFAULT_STORE, StoreError, open_store, stats
from kg.validate import RDFParseError, load_rdf, validate_graph

app = typer.Typer(
    help="humanitarian-kg: a knowledge graph of humanitarian operations read from the "
    "narrative reports aid organisations publish. Build it, validate it, query it.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StoreOption = Annotated[
    Path, typer.Option("--store", help="The embedded Oxigraph store directory.")
]

# Questions `kg build --answers` prints: (question, named query, parameters)
DEMO_QUESTIONS: list[tuple[str, str, dict[str, str]]] = [
    (
        "Who works in Timbuktu (counting the places inside it)?",
        "organisations-in",
        {"place": "Timbuktu"},
    ),
    ("Who does what where?", "who-what-where", {}),
    ("Who works with whom?", "partnerships", {}),
    (
        "What did each organisation report for 2023, and where does each figure come from?",
        "outcomes",
        {"year": "2023"},
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"kg {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """humanitarian-kg command line."""


@app.command()
def build(
    reports: Annotated[
        list[Path] | None,
        typer.Argument(help="Report files or directories (default: data/reports)."),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    answers: Annotated[
        bool,
        typer.Option("--answers", help="Then print answers to a few cross-organisation questions."),
    ] = False,
) -> None:
    """Extract facts from reports, validate them with SHACL and load the store.

    A report that cannot be read is named with the reason and the others still build (exit 1
    at the end). A SHACL violation stops the build and leaves the previous store untouched.
    """
    paths = reports or [Path("data/reports")]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        err.print(f"[red]error:[/red] {p}: no such file or directory")
    paths = [p for p in paths if p.exists()]
    total = len(find_reports(paths))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[name]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("extract", total=total, name="")

        def step(stage: str, path: Path) -> None:
            if stage == "extract":
                progress.update(
                    task,
                    advance=1 if progress.tasks[0].completed < total else 0,
                    description="extract",
                    name=path.name,
                )
            else:
                progress.update(task, description=stage, name="")

        result = run_build(paths, store, progress=step)
    table = Table(title="kg build")
    for column in ("report", "facts", "triples", "status"):
        table.add_column(column, justify="right" if column in ("facts", "triples") else "left")
    for r in result.reports:
        table.add_row(
            r.report_id or r.path.name,
            str(r.facts),
            str(r.triples),
            "[red]failed[/red]" if r.error else "ok",
        )
    out.print(table)
    for r in result.failed:
        err.print(f"[red]error:[/red] {r.error}")
    if result.validation is not None and result.violations:
        err.print(result.validation.text())
        err.print(
            f"[red]error:[/red] {result.violations} SHACL violation(s): the store was not replaced"
        )
    ok_reports = len(result.reports) - len(result.failed)
    out.print(
        f"reports: {ok_reports} built, {len(result.failed)} failed; "
        f"facts: {sum(r.facts for r in result.reports)}; "
        f"triples: {result.triples} (inferred {result.inferred}); "
        f"violations: {result.violations}"
        + (f"; store: {result.store.path}" if result.store else "")
    )
    if answers and result.store is not None:
        print_answers(store)
    if missing or not result.ok:
        raise typer.Exit(1)


def print_answers(store_path: Path) -> None:
    """Answer the demo questions from the freshly built store."""
    store = open_store(store_path)
    for question, name, params in DEMO_QUESTIONS:
        res = run_query(store, load_query(name), params)
        out.print(
            f"\n[bold]{question}[/bold]  (kg query {name}"
            + "".join(f" --param {k}={v}" for k, v in params.items())
            + ")"
        )
        out.print(res.to_table(), end="")


@app.command()
def extract(
    report: Annotated[Path, typer.Argument(help="A report text file (UTF-8).")],
    publisher: Annotated[
        str | None, typer.Option(help="Publisher name or acronym (overrides the sidecar).")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Country name or ISO code (overrides the sidecar).")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (for people) | json (the public contract) | turtle (the report's graph)"
            " | html (the text with every extracted span highlighted, for curators)",
        ),
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Show what the loaders find in one report, without touching the store."""
    if fmt not in {"json", "turtle", "table", "html"}:
        raise fail(f"unknown format {fmt!r}: use table, json, turtle or html", 2)
    try:
        rep = read_report(report, publisher=publisher, country=country)
    except ReportError as exc:
        raise fail(str(exc)) from None
    extraction = extract_report(rep)
    if fmt == "table" and output is None:
        print_extraction(extraction)
        return
    if fmt == "json":
        text = json.dumps(extraction.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "turtle":
        graph = emit_report(extraction, set(default_lexicons().reference.organisations))
        text = graph.serialize(format="turtle")
    elif fmt == "html":
        text = render_html(rep.text, extraction)
    else:
        raise fail("--output needs --format json, turtle or html", 2)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")


def print_extraction(extraction: Extraction) -> None:
    data = extraction.to_json()
    pub = data["publisher"]["label"] if data["publisher"] else "?"
    country = data["country"]["label"] if data["country"] else "?"
    out.print(
        f"[bold]{data['report']}[/bold]: publisher {pub}, country {country}, "
        f"document year {data['document_year']}"
    )
    for key, title in (("outcomes", "Outcomes"), ("context_figures", "Context figures")):
        table = Table(title=title)
        for column in ("value", "qualifier", "counted", "indicator", "sector", "year", "places"):
            table.add_column(column)
        for f in data[key]:
            table.add_row(
                f"{f['value']:,}" + ("%" if f["unit"] == "percent" else ""),
                f["qualifier"],
                f["counted"],
                (f["indicator"] or {}).get("label", ""),
                (f["sector"] or {}).get("label", ""),
                f"{f['year']} ({f['year_source']})" if f["year"] else "",
                ", ".join(p["label"] for p in f["places"]),
            )
        out.print(table)
    table = Table(title="Partners")
    for column in ("partner", "role", "new"):
        table.add_column(column)
    for p in data["partners"]:
        table.add_row(p["label"], p["role"], "new" if p["new"] else "")
    out.print(table)
    table = Table(title="Presences")
    for column in ("sector", "place", "year"):
        table.add_column(column)
    for p in data["presences"]:
        table.add_row(p["sector"]["label"], p["place"]["label"], str(p["year"] or ""))
    out.print(table)
    out.print(
        f"unclassified numbers and names: {len(data['unclassified'])} "
        "(see --format json for each with its reason)"
    )


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="RDF files (default: the store).")
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Validate RDF files, or the store, against the SHACL shapes.

    The ontology and reference data are added as context. Exit 0: conforms; 1: violations;
    2: unusable input (unreadable or malformed file, no store).
    """

    from kg.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REFERENCE

    reference = default_lexicons().reference
    context = reference.ontology + reference.reference
    data = Graph()
    if files:
        for path in files:
            try:
                dataset = load_rdf(path)
            except RDFParseError as exc:
                raise fail(str(exc), 2) from None
            for triple in dataset.triples((None, None, None)):
                data.add(triple)
    else:
        try:
            st = open_store(store)
        except StoreError as exc:
            raise fail(str(exc), 2) from None
        skip = {str(GRAPH_ONTOLOGY), str(GRAPH_REFERENCE), str(GRAPH_INFERRED)}
        data = _graph_from_store(st, skip)
    report = validate_graph(data, context=context)
    if report.violations:
        out.print(report.text())
    n = report.count("Violation")
    out.print(
        f"{'conforms' if report.conforms else 'does not conform'}: {n} violation(s), "
        f"{report.count('Warning')} warning(s)"
    )
    if not report.conforms:
        raise typer.Exit(1)


def _graph_from_store(store: ox.Store, skip: set[str]) -> Graph:
    """The report graphs of the store (not ontology, reference or inferences), for SHACL."""

    graph = Graph()
    for name in store.named_graphs():
        if name.value in skip:
            continue
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
        graph.parse(data=data, format="nt")
    return graph


@app.command()
def query(
    name: Annotated[
        str | None, typer.Argument(help="A named query (see `kg queries`) or a .rq file.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE, repeatable.")
    ] = None,
    sparql: Annotated[
        str | None, typer.Option("--sparql", help="Run this SPARQL text instead.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | tsv | json")] = "table",
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Run a named query (parameters are bound, never pasted into the text)."""
    if fmt not in {"table", "csv", "tsv", "json"}:
        raise fail(f"unknown format {fmt!r}: use table, csv, tsv or json", 2)
    if (name is None) == (sparql is None):
        raise fail("give a query name or file, or --sparql TEXT (not both)", 2)
    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--param {item!r}: expected KEY=VALUE", 2)
        params[key.strip()] = value
    try:
        st = open_store(store)
        q = load_query(name) if name is not None else sparql
        result = run_query(st, q, params)  # type: ignore[arg-type]
    except (QueryError, StoreError) as exc:
        raise fail(str(exc), 2) from None
    if fmt == "json":
        sys.stdout.write(result.to_json() + "\n")
    elif fmt == "csv":
        sys.stdout.write(result.to_csv())
    elif fmt == "tsv":
        sys.stdout.write(_tsv(result))
    else:
        sys.stdout.write(result.to_table())


def _tsv(result: QueryResult) -> str:
    lines = ["\t".join(result.columns)]
    for row in result.rows:
        lines.append("\t".join("" if v is None else " ".join(v.split()) for v in row))
    return "\n".join(lines) + "\n"


@app.command()
def queries() -> None:
    """List the named queries with their parameters."""
    for q in list_queries():
        out.print(f"[bold]{q.name}[/bold]: {q.title}")
        if q.description:
            out.print(f"    {q.description}")
        for p in q.params:
            kind = "required" if p.required else "optional"
            out.print(f"    --param {p.name}=…  ({kind}, {p.type}) {p.doc}")


@app.command("stats")
def stats_command(store: StoreOption = DEFAULT_STORE) -> None:
    """Counts by class and by report."""
    try:
        data = stats(open_store(store))
    except StoreError as exc:
        raise fail(str(exc), 2) from None
    out.print(f"quads: {data['quads']}, named graphs: {data['graphs']}")
    table = Table(title="instances by class")
    table.add_column("class")
    table.add_column("instances", justify="right")
    for cls, n in sorted(data["classes"].items()):
        table.add_row(cls.rsplit("#", 1)[-1], str(n))
    out.print(table)
    table = Table(title="by report")
    columns = ["report", "triples", "outcomes", "context_figures", "presences", "partnerships"]
    for c in columns:
        table.add_column(c, justify="left" if c == "report" else "right")
    for _graph, row in sorted(data["reports"].items()):
        table.add_row(*(str(row.get(c, "")) for c in columns))
    out.print(table)


# --- kg ontology: OWL reasoning and exports of the ontology ---------------------------------

ontology_app = typer.Typer(
    help="Check the ontology with an OWL reasoner (HermiT) and export it for Protégé.",
    no_args_is_help=True,
)
app.add_typer(ontology_app, name="ontology")


@ontology_app.command("check")
def ontology_check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Extra RDF files to check with the ontology.")
    ] = None,
    data: Annotated[
        bool, typer.Option("--data", help="Also check the report graphs of the store.")
    ] = False,
    store: StoreOption = DEFAULT_STORE,
    reference: Annotated[
        bool, typer.Option("--reference/--no-reference", help="Include the reference data.")
    ] = True,
    fmt: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """Run HermiT on the ontology and reference data (and the store's data with --data).

    Reports inconsistency, naming the individuals responsible where it can, and unsatisfiable
    classes, by IRI. Exit 0: consistent, no unsatisfiable class; 1: inconsistent or
    unsatisfiable classes; 2: unusable input (unparsable file, no store, no Java).
    """
    from kg.reason import ReasonerError, check_repository

    if fmt not in {"text", "json"}:
        raise fail(f"unknown format {fmt!r}: use text or json", 2)
    try:
        result = check_repository(
            files or [], store=store if data else None, reference=reference
        )
    except (RDFParseError, StoreError, ReasonerError) as exc:
        raise fail(str(exc), 2) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        out.print(result.text())
    if not result.ok:
        raise typer.Exit(1)
