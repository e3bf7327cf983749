"""The `kg` command: a few lines per command over the library functions.

One file: typer builds the command tree from one app; each command is a few lines over a library
function, and the length is the number of commands and their help texts, which the README and
`--help` show.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from typer.core import TyperOption

from kg import __version__
from kg.build.run import BuildResult, stale_reports
from kg.build.run import build as run_build
from kg.emit import emit_report
from kg.extract import extract_report
from kg.extract.lexicons import default_lexicons
from kg.model import Extraction
from kg.query.named import (
    QueryError,
    QueryResult,
    list_queries,
    load_query,
    parse_query,
    project_prefixes,
    run_query,
    stats,
    store_lookups,
    unmatched,
)
from kg.reports import ReportError, read_report
from kg.store import DEFAULT_STORE, StoreError, open_store, recover_store
from kg.tools.highlight import render as render_html
from kg.validate.engine import DEFAULT_MAX_BYTES, RDFParseError

app = typer.Typer(
    help="humanitarian-kg: a knowledge graph of humanitarian operations read from the "
    "narrative reports aid organisations publish. Build it, validate it, query it.",
    no_args_is_help=True,
    add_completion=False,
    # paragraphs are re-flowed to the terminal (a docstring's line breaks are not kept)
    rich_markup_mode="markdown",
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


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal (not in CI logs)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[name]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """`--full` is a flag: no `<bool>` beside it in the help (typer 0.29 shows one)."""
    return None if self.is_flag or _option_type is None else _option_type(self, ctx)


# typer 0.29 added the hook (and the `<bool>`); older releases show flags as flags already
_option_type = getattr(TyperOption, "display_type_rich", None)
if _option_type is not None:
    TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


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
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes (default: CPU count for many reports)."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Rebuild every report's graph, not only new and changed ones."),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Allow the build to remove every report of the store (when none of them is "
            "among the reports given; refused otherwise, exit 2).",
        ),
    ] = False,
) -> None:
    """Extract facts from reports, validate them with SHACL and load the store.

    Only new and changed reports are processed when the store was built by the same code and
    data (see `--full`). A report that cannot be read is named with the reason and the others
    still build (exit 1 at the end); if the store has an earlier version of it, that last good
    graph stays, marked stale, until the report reads again. Removed reports are named. A SHACL
    violation stops the build and leaves the previous store untouched; so does a path that does
    not exist, a build that would remove every report of the store (without --prune), or
    another build of the same store running (exit 2).

    Per-report outputs are cached under the user's cache directory (`KG_CACHE_DIR` to choose
    another), one folder per store; nothing is written beside the store.

    Example: `kg build data/reports --store build/store --answers`
    """
    paths = reports or [Path("data/reports")]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        err.print(f"[red]error:[/red] {p}: no such file or directory")
    if missing:
        # building the rest would drop the missing paths' reports from the store as removed
        raise fail("nothing built: the store was not touched", 2)
    with progress_bar() as progress:
        task = progress.add_task("scan", total=None, name="")

        def step(stage: str, done: int, total: int, name: str) -> None:
            progress.update(
                task,
                description=stage,
                completed=done,
                total=total or None,
                name=name,
            )

        try:
            result = run_build(paths, store, progress=step, workers=workers, full=full, prune=prune)
        except StoreError as exc:  # RemovalRefused, StoreBusyError, not a store…
            raise fail(str(exc), 2) from None
    for line in result.cleaned:
        err.print(f"[yellow]note:[/yellow] {line}")
    print_build_table(result)
    kept = " (its last good graph stays in the store, marked stale)"
    for r in result.failed:
        err.print(f"[red]error:[/red] {r.error}" + (kept if r.status == "stale" else ""))
    if result.validation is not None and result.violations:
        err.print(result.validation.text())
        err.print(
            f"[red]error:[/red] {result.violations} SHACL violation(s): the store was not replaced"
        )
    ok_reports = len(result.reports) - len(result.failed)
    stale = f" ({len(result.stale)} stale)" if result.stale else ""
    out.print(
        f"reports: {ok_reports} built, {len(result.failed)} failed{stale}; "
        f"facts: {sum(r.facts for r in result.reports)}; "
        f"triples: {result.triples} (inferred {result.inferred}); "
        f"violations: {result.violations}"
        + (f"; store: {result.store.path}" if result.store else "")
    )
    out.print(
        f"{result.mode} build: {result.count('built')} extracted, {result.count('cached')} "
        f"from the cache, {result.count('unchanged')} unchanged, {result.removed} removed; "
        f"{result.wall.get('total', 0.0):.1f} s"
    )
    if result.removed_reports:
        done = "removed" if result.store is not None else "not removed (store not replaced)"
        out.print(f"{done}: " + ", ".join(result.removed_reports))
    if answers and result.store is not None:
        print_answers(store)
    if missing or not result.ok:
        raise typer.Exit(1)


BUILD_TABLE_ROWS = 40
"""Above this many reports, `kg build` lists only the failed ones and the first few others."""


def print_build_table(result: BuildResult) -> None:
    status = {
        "built": "ok",
        "cached": "ok (cached)",
        "unchanged": "ok (unchanged)",
        "stale": "[yellow]stale[/yellow]",
        "failed": "[red]failed[/red]",
    }
    rows = result.reports
    hidden = 0
    if len(rows) > BUILD_TABLE_ROWS:
        shown = [r for r in rows if r.error][:BUILD_TABLE_ROWS]
        shown += [r for r in rows if not r.error][: max(0, BUILD_TABLE_ROWS // 2 - len(shown))]
        hidden = len(rows) - len(shown)
        rows = [r for r in rows if r in shown]
    table = Table(title="kg build")
    for column in ("report", "facts", "triples", "status"):
        table.add_column(column, justify="right" if column in ("facts", "triples") else "left")
    for r in rows:
        table.add_row(
            r.report_id or r.path.name,
            str(r.facts),
            str(r.triples),
            status.get(r.status, "[red]failed[/red]" if r.error else "ok"),
        )
    if hidden:
        table.caption = f"… and {hidden} more reports, all ok (kg stats lists them)"
    out.print(table)
    for r in result.reports:
        for warning in r.warnings:
            out.print(f"[yellow]warning:[/yellow] {warning}")


@app.command()
def synth(
    reports: Annotated[int, typer.Option("--reports", "-n", min=0, help="How many reports.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="The same seed writes the same files.")] = 1,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write into (created if needed).")
    ] = Path("build/synth"),
) -> None:
    """Write a synthetic corpus for benchmarks: realistic report texts, YAML sidecars and
    planted.jsonl, the facts each report plants (see benchmarks/score_synth.py).

    Example: `kg synth --out build/synth --reports 100 --seed 7`
    """
    from kg.tools.synth import generate

    try:
        result = generate(reports, seed, out_dir)
    except OSError as exc:
        raise fail(f"{out_dir}: cannot write the corpus there ({exc.strerror or exc})", 2) from None
    out.print(f"wrote {result.reports} reports under {result.out} and {result.planted}")


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
    """Show what the loaders find in one report, without touching the store.

    Example: `kg extract data/reports/msf-mali-2023.txt --format json`
    """
    if fmt not in {"json", "turtle", "table", "html"}:
        raise fail(f"unknown format {fmt!r}: use table, json, turtle or html", 2)
    try:
        rep = read_report(report, publisher=publisher, country=country)
    except ReportError as exc:
        raise fail(str(exc), 2) from None  # unusable input (docs/exit-codes.md)
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
        list[Path] | None,
        typer.Argument(help="RDF files: .ttl .nt .nq .trig .jsonld .rdf .owl (default: store)."),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    fmt: Annotated[
        str, typer.Option("--format", help="text | turtle (SHACL report) | json | junit")
    ] = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings fail too (exit 1), not only violations.")
    ] = False,
    reference: Annotated[
        bool,
        typer.Option("--reference", help="Validate the ontology and reference data themselves."),
    ] = False,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Refuse RDF files larger than this (bytes).")
    ] = DEFAULT_MAX_BYTES,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Processes for the store's graphs (default: auto)."),
    ] = None,
) -> None:
    """Validate RDF files, the store, or the reference data against the SHACL shapes.

    FILES are validated together, with the ontology and reference data as context; each
    result is attributed to the file that states its focus node. Without FILES, each report
    graph of the store is validated on its own, in parallel. --reference validates the
    ontology and reference data (with FILES: as well).

    Severities: a Violation fails; a Warning fails only with --strict; an Info never.
    Untrusted files are parsed safely: RDF/XML with a DOCTYPE or ENTITY declaration, JSON-LD
    with a remote @context and files over --max-bytes are refused.

    Exit codes: 0 conforms; 1 violations (or warnings with --strict); 2 unusable input
    (unreadable, malformed or refused file, unknown format, no store).

    Example: `kg validate --store build/store`
    """
    from kg.validate.engine import repository_graphs
    from kg.validate.run import FORMATS, merge_runs, render, validate_files
    from kg.validate.run import validate_reference as run_reference
    from kg.validate.run import validate_store as run_store

    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", 2)
    try:
        ontology, reference_data = repository_graphs()
        context = ontology + reference_data
        runs = []
        if reference:
            runs.append(run_reference(context, strict=strict))
        if files:
            runs.append(validate_files(files, context=context, max_bytes=max_bytes, strict=strict))
        elif not reference:
            runs.append(run_store(store, workers=workers, strict=strict))
    except (RDFParseError, StoreError) as exc:
        raise fail(str(exc), 2) from None
    result = runs[0] if len(runs) == 1 else merge_runs(runs, strict=strict)
    sys.stdout.write(render(result, fmt))
    if fmt != "text":
        err.print(result.summary())
    raise typer.Exit(result.exit_code)


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
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Run on this remote SPARQL endpoint (e.g. http://host:7878/query) instead of"
            " the embedded store; see docs/scaling.md.",
        ),
    ] = None,
) -> None:
    """Run a named query (parameters are bound, never pasted into the text).

    Example: `kg query organisations-in --param place=Timbuktu --format csv`
    """
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
    if endpoint is not None:
        result = _remote_query(endpoint, name, sparql, params)
    else:
        try:
            st = open_store(store)
            q = (
                load_query(name)
                if name is not None
                else replace(parse_query(sparql or ""), default_prefixes=True)
            )
            result = run_query(st, q, params)
            misses = unmatched(q, params, *store_lookups(st)) if not result.rows else []
        except (QueryError, StoreError) as exc:
            raise fail(str(exc), 2) from None
        if misses:  # an empty answer because a parameter names nothing: say so (exit 1)
            raise fail("; ".join(m.message() for m in misses), 1)
    if fmt == "json":
        sys.stdout.write(result.to_json() + "\n")
    elif fmt == "csv":
        sys.stdout.write(result.to_csv())
    elif fmt == "tsv":
        sys.stdout.write(_tsv(result))
    else:
        sys.stdout.write(result.to_table())


def _password(user: str | None, password_env: str) -> str | None:
    """The endpoint password from the environment (never an option: it would show in `ps`)."""
    if user is None:
        return None
    password = os.environ.get(password_env)
    if password is None:
        raise fail(
            f"--user {user}: set the password in the environment variable "
            f"{password_env} (or name another with --password-env)",
            2,
        )
    return password


def _remote_query(
    endpoint: str, name: str | None, sparql: str | None, params: dict[str, str]
) -> QueryResult:
    """`kg query --endpoint`: the same query on a remote store (kg.query.backends)."""
    from kg.query.backends import RemoteBackend, RemoteError

    backend = RemoteBackend(endpoint)
    try:
        q = load_query(name) if name is not None else sparql
        result = backend.run(q, params)  # type: ignore[arg-type]
        if not result.rows and backend.union_default_graph() is False:
            err.print(
                f"[yellow]warning:[/yellow] {endpoint}: its default graph is not the union of "
                "its named graphs, so the named queries find nothing (Oxigraph server: start "
                "it with --union-default-graph; see docs/scaling.md)"
            )
    except QueryError as exc:
        raise fail(str(exc), 2) from None
    except RemoteError as exc:
        raise fail(str(exc), 1) from None
    return result


@app.command()
def push(
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint",
            help="The remote store's SPARQL query endpoint (Oxigraph server: http://host:7878/"
            "query; Virtuoso: http://host:8890/sparql).",
        ),
    ],
    graph_store: Annotated[
        str | None,
        typer.Option(
            "--graph-store",
            help="Its Graph Store Protocol endpoint (default for Oxigraph server: …/store; "
            "Virtuoso: …/sparql-graph-crud-auth).",
        ),
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="User name (Digest or Basic).")] = None,
    password_env: Annotated[
        str,
        typer.Option(
            "--password-env", help="Environment variable holding the password (with --user)."
        ),
    ] = "KG_PUSH_PASSWORD",  # noqa: S107 (the name of a variable, not a password)
    store: StoreOption = DEFAULT_STORE,
    force: Annotated[
        bool, typer.Option("--force", help="Send every graph, changed or not.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune/--no-prune",
            help="Delete remote graphs this command pushed before that the store no longer has.",
        ),
    ] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be sent.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 120.0,
    retries: Annotated[
        int, typer.Option(help="Retries of a request after a 5xx, a timeout or a reset.")
    ] = 3,
) -> None:
    """Publish every named graph of the store to a remote SPARQL store, one graph at a time.

    Uses the SPARQL 1.1 Graph Store Protocol (PUT: re-pushing replaces, never duplicates) and
    sends only the graphs whose content changed since the last push (content hashes kept on
    the remote in the graph id:graph/push-metadata). Exit 0: done; 1: a request failed (the
    remote then holds the old or the new version of each graph); 2: bad options or no store.

    Example: `kg push --endpoint http://localhost:7878/query --store build/store --dry-run`
    """

    from kg.push import PushError
    from kg.push import push as run_push
    from kg.query.backends import Endpoint, RemoteError, SparqlClient

    password = _password(user, password_env)
    if timeout <= 0 or retries < 0:
        raise fail("--timeout must be > 0 and --retries >= 0", 2)
    try:
        st = open_store(store)
        client = SparqlClient(Endpoint(endpoint, graph_store, user, password, timeout, retries))
        client.endpoint.graph_store()
    except StoreError as exc:
        raise fail(str(exc), 2) from None
    except RemoteError as exc:
        raise fail(str(exc), 2) from None
    with progress_bar() as progress:
        task = progress.add_task("push", total=None, name="")

        def step(stage: str, graph: str, done: int, total: int) -> None:
            progress.update(
                task, completed=done, total=total, description=stage, name=graph.rsplit("/", 1)[-1]
            )

        try:
            result = run_push(st, client, force=force, prune=prune, dry_run=dry_run, progress=step)
        except PushError as exc:
            progress.stop()
            raise fail(str(exc), 1) from None
    verb = "would send" if dry_run else "sent"
    out.print(
        f"{verb} {len(result.sent)} of {result.graphs} graphs ({result.triples_sent} triples)"
        f", {len(result.unchanged)} unchanged"
        + (
            f", {'would delete' if dry_run else 'deleted'} {len(result.deleted)}"
            if result.deleted
            else ""
        )
        + (f"; {result.triples_per_second:,.0f} triples/s" if result.seconds > 0 else "")
        + f"; {result.graph_store}"
    )


def _tsv(result: QueryResult) -> str:
    lines = ["\t".join(result.columns)]
    for row in result.rows:
        lines.append("\t".join("" if v is None else " ".join(v.split()) for v in row))
    return "\n".join(lines) + "\n"


@app.command()
def queries(
    prefixes: Annotated[
        bool,
        typer.Option(
            "--prefixes", help="Print the PREFIX lines `kg query --sparql` declares for you."
        ),
    ] = False,
) -> None:
    """List the named queries with their parameters.

    Example: `kg queries --prefixes`
    """
    if prefixes:
        for prefix, iri in project_prefixes().items():
            sys.stdout.write(f"PREFIX {prefix}: <{iri}>\n")
        return
    for q in list_queries():
        out.print(f"[bold]{q.name}[/bold]: {q.title}")
        if q.description:
            out.print(f"    {q.description}")
        for p in q.params:
            kind = "required" if p.required else "optional"
            out.print(f"    --param {p.name}=…  ({kind}, {p.type}) {p.doc}")


@app.command("stats")
def stats_command(store: StoreOption = DEFAULT_STORE) -> None:
    """Counts by class and by report.

    Example: `kg stats --store build/store`
    """
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
    stale = stale_reports(store)
    if stale:
        table = Table(title="stale reports (the last good graph is kept until the report reads)")
        table.add_column("report")
        table.add_column("why the last build failed")
        for report_id, reason in stale.items():
            table.add_row(report_id, reason)
        out.print(table)


@app.command()
def report(
    place: Annotated[
        str,
        typer.Argument(
            help="The country or other place: a name in any language, an ISO 3166 code or an IRI."
        ),
    ],
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write the view as one standalone HTML page (style inside, no script, SVG map) "
            "to this file; '-' for standard output.",
        ),
    ] = None,
    sector: Annotated[str, typer.Option(help="Only this sector (label or IRI).")] = "",
    year: Annotated[str, typer.Option(help="Only work dated this year.")] = "",
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Who does what where in a place: organisations by sector, the areas with no one, a map.

    The same view as `kg serve`'s /where page. A place that matches nothing exits 1 with the
    closest names.

    Example: `kg report Mali --html mali.html`
    """
    from kg.server import where

    try:
        st = open_store(store)
    except StoreError as exc:
        raise fail(str(exc), 2) from None
    view = where.gather(where.store_runner(st), where.ViewState(place, sector, year))
    if view.problem:
        hint = f"; did you mean: {', '.join(view.suggestions)}?" if view.suggestions else ""
        raise fail(f"{view.problem}{hint}", 1)
    if html is None:
        out.print(where.text_report(view), markup=False, highlight=False)
        return
    page = where.standalone_page(view, f"kg report {place} · humanitarian-kg {__version__}")
    if str(html) == "-":
        sys.stdout.write(page)
        return
    try:
        html.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {html}: {exc.strerror or exc}", 2) from None
    err.print(f"wrote {html}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8000,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="The embedded Oxigraph store directory.",
            show_default=str(DEFAULT_STORE),
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Answer from this remote SPARQL endpoint (e.g. http://host:7878/query) instead"
            " of a store: the same pages and /sparql, proxied with the same checks; see "
            "docs/sparql-endpoint.md.",
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="User name for the endpoint (Digest or Basic).")
    ] = None,
    password_env: Annotated[
        str,
        typer.Option(
            "--password-env",
            help="Environment variable holding the endpoint password (with --user).",
        ),
    ] = "KG_ENDPOINT_PASSWORD",  # noqa: S107 (the name of a variable, not a password)
    timeout: Annotated[
        float,
        typer.Option(help="Seconds a query may run, or wait for the endpoint (then HTTP 504)."),
    ] = 10.0,
    max_results: Annotated[
        int,
        typer.Option(
            "--max-results", help="Most rows or triples a query may return (then HTTP 422)."
        ),
    ] = 10_000,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Query worker processes (default: two per core, 4 to 16; with --endpoint: "
            "requests sent to it at once, default 2)."
        ),
    ] = None,
    cors: Annotated[
        str,
        typer.Option(
            "--cors",
            help="Access-Control-Allow-Origin: '*' (any origin), 'none', or "
            "comma-separated origins (https://a.example,https://b.example).",
        ),
    ] = "*",
    slow_after: Annotated[
        float,
        typer.Option(
            "--slow-after",
            help="Seconds after which a query is long: it runs at the lowest CPU "
            "priority, and only one per client and half the workers may be long at once "
            "(0: no such rule).",
        ),
    ] = 1.0,
    per_client: Annotated[
        int,
        typer.Option(
            "--per-client", help="Requests one client may have running or waiting (then 429)."
        ),
    ] = 8,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Open connections at once (then 503 at once).")
    ] = 256,
    client_header: Annotated[
        str | None,
        typer.Option(
            "--client-header",
            help="Behind a reverse proxy: the header naming the client (e.g. "
            "X-Forwarded-For, its last address), for the per-client limits.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No access log.")] = False,
) -> None:
    """Serve the store read-only: SPARQL 1.1 endpoint, linked-data pages and a query page.

    With --endpoint, serve a remote SPARQL store the same way. See docs/sparql-endpoint.md.
    Updates, LOAD and SERVICE are refused.

    Example: `kg serve --store build/store --port 8000`
    """

    from kg.query.backends import Endpoint
    from kg.server.app import KGServer, ServerConfig
    from kg.server.app import serve as run_server

    if timeout <= 0 or max_results < 1 or (workers is not None and workers < 1):
        raise fail("--timeout must be > 0, --max-results and --workers >= 1", 2)
    if slow_after < 0 or per_client < 1 or max_connections < 1:
        raise fail("--slow-after must be >= 0, --per-client and --max-connections >= 1", 2)
    from kg.server.app import parse_cors

    try:
        parse_cors(cors)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if store is not None and endpoint is not None:
        raise fail("give --store or --endpoint, not both", 2)
    if user is not None and endpoint is None:
        raise fail("--user is for --endpoint", 2)
    remote = None
    if endpoint is None:  # the query workers open the path itself: put back a moved store
        for line in recover_store(store or DEFAULT_STORE):
            err.print(f"[yellow]note:[/yellow] {line}")
    if endpoint is not None:
        password = _password(user, password_env)
        remote = Endpoint(endpoint, user=user, password=password, timeout=timeout, retries=0)
    config = ServerConfig(
        store=store if remote is None else None,
        endpoint=remote,
        host=host,
        port=port,
        timeout=timeout,
        max_results=max_results,
        workers=workers,
        cors=cors,
        slow_after=slow_after or None,
        per_client=per_client,
        max_connections=max_connections,
        client_connections=min(64, max_connections),
        client_header=client_header,
        quiet=quiet,
    )

    def ready(server: KGServer) -> None:
        count = config.worker_count()
        if server.remote is None:
            limits = f"{count} workers"
        else:
            limits = f"proxy to {server.remote.label}, {count} at once"
        err.print(
            f"serving {server.url}/  (SPARQL endpoint {server.url}/sparql; "
            f"{limits}, timeout {timeout:g} s, max {max_results} results); "
            "Ctrl-C stops"
        )
        for problem in server.check_source():
            err.print(f"[yellow]warning:[/yellow] {problem}")

    try:
        run_server(config, ready=ready)
    except (StoreError, OSError) as exc:
        raise fail(str(exc), 2) from None


# --- kg export: the graph for the humanitarian data ecosystem ---------------------------------

export_app = typer.Typer(
    help="Export the graph for the humanitarian data ecosystem (HXL-tagged CSV).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(export_app, name="export")


ExportFormat = Annotated[
    str, typer.Option("--format", help="The format: hxl (CSV with an HXL hashtag row).")
]
ExportCountry = Annotated[
    str, typer.Option(help="Only this country (ISO 3166-1 alpha-2 or alpha-3).")
]
ExportYear = Annotated[int | None, typer.Option(help="Only what is dated this year.")]
ExportOrganisation = Annotated[
    str, typer.Option(help="Only this organisation (name, acronym or IRI).")
]
ExportOut = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write to this file, with its CSVW metadata beside it as FILE-metadata.json "
        "(default: standard output, no metadata).",
    ),
]


@export_app.command("3w")
def export_3w(
    fmt: ExportFormat = "hxl",
    country: ExportCountry = "",
    year: ExportYear = None,
    organisation: ExportOrganisation = "",
    output: ExportOut = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Who does what where as HDX HAPI shapes operational presence: organisation, type,
    sector code, admin 1 and 2 names and codes, reference period, source report; with an HXL
    hashtag row under the column names.

    Example: `kg export 3w --format hxl --country MLI --out mali-3w.csv`
    """
    _export("3w", fmt, country, year, organisation, output, store)


@export_app.command("figures")
def export_figures(
    fmt: ExportFormat = "hxl",
    country: ExportCountry = "",
    year: ExportYear = None,
    organisation: ExportOrganisation = "",
    output: ExportOut = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Every outcome and context figure, one row each: organisation, kind, indicator, counted
    words, value, unit, qualifier, year, sector code, country, places and their codes, report,
    the exact quote and its offsets; with an HXL hashtag row under the column names.

    Example: `kg export figures --format hxl --year 2023 --out figures-2023.csv`
    """
    _export("figures", fmt, country, year, organisation, output, store)


def _export(
    table: str,
    fmt: str,
    country: str,
    year: int | None,
    organisation: str,
    output: Path | None,
    store: Path,
) -> None:
    from kg.export.hxl import csvw_metadata, export_rows, metadata_path, write_atomically, write_hxl
    from kg.query.named import QueryParamError

    if fmt != "hxl":
        raise fail(f"--format {fmt!r}: the {table} export is written as hxl", 2)
    try:
        st = open_store(store)
    except StoreError as exc:
        raise fail(str(exc), 2) from None
    rows = export_rows(
        st, table, country=country or None, year=year, organisation=organisation or None
    )
    try:
        if output is None:
            count = write_hxl(table, rows, sys.stdout)
        else:
            count = write_atomically(output, lambda handle: write_hxl(table, rows, handle))
            metadata = json.dumps(csvw_metadata(table, output.name), indent=2, ensure_ascii=False)
            write_atomically(metadata_path(output), lambda handle: handle.write(metadata + "\n"))
    except QueryParamError as exc:
        raise fail(str(exc), 2) from None
    except OSError as exc:
        raise fail(f"{output}: {exc.strerror or exc}", 1) from None
    err.print(f"{count} rows")


# --- kg ontology: OWL reasoning and exports of the ontology ---------------------------------

ontology_app = typer.Typer(
    help="Check the ontology with an OWL reasoner (HermiT) and export it for Protégé.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
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

    Example: `kg ontology check --data`
    """
    from kg.reason.consistency import ReasonerError, check_repository

    if fmt not in {"text", "json"}:
        raise fail(f"unknown format {fmt!r}: use text or json", 2)
    try:
        result = check_repository(files or [], store=store if data else None, reference=reference)
    except (RDFParseError, StoreError, ReasonerError) as exc:
        raise fail(str(exc), 2) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        out.print(result.text())
    if not result.ok:
        raise typer.Exit(1)


@ontology_app.command("export")
def ontology_export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: ontology/hkg.owl)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check that the export is up to date (CI).")
    ] = False,
) -> None:
    """Write ontology/*.ttl as one RDF/XML file (ontology/hkg.owl) for Protégé and OWL tools.

    The Turtle files are the source. With --check nothing is written: exit 1 when the export
    differs from the Turtle files (compared as graphs), 0 when it is up to date.

    Example: `kg ontology export --check`
    """
    from kg.tools.ontology_docs import default_owl_path, export_owl, owl_in_sync

    target = output or default_owl_path()
    if check:
        if not owl_in_sync(target):
            raise fail(f"{target} is out of date: run `kg ontology export`", 1)
        out.print(f"{target} is up to date")
        return
    out.print(f"wrote {export_owl(target)}")


@app.command("docs")
def docs_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write the HTML into.")
    ] = Path("build/docs"),
    engine: Annotated[
        str, typer.Option("--engine", help="builtin | pylode (needs the `docs` extra).")
    ] = "builtin",
) -> None:
    """Write HTML documentation of the ontology and its SKOS schemes (build/docs/index.html).

    Example: `kg docs`
    """
    from kg.tools.ontology_docs import DocsError, write_html

    try:
        written = write_html(output, engine=engine)
    except DocsError as exc:
        raise fail(str(exc), 2) from None
    for path in written:
        out.print(f"wrote {path}")
