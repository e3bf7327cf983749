"""Named SPARQL queries: the `.rq` files in `queries/`, their parameters, and running them.

A named query is a `.rq` file whose first lines are comments:

    # title: Who does what where
    # description: One row per organisation × sector × place (× year) of reported presence.
    # param: place (optional) — a place label or IRI; includes places inside it
    # param: year (optional, gYear) — a four-digit year, e.g. 2023

A parameter `x` is the SPARQL variable `?param_x`. `run_query` binds it with pyoxigraph's
`substitutions` (a term, never text pasted into the query): as a plain string literal, or as
an `xsd:gYear` / `xsd:integer` literal when the header says so. A parameter that is not given
stays unbound, and the query treats that as "no filter".

What Oxigraph (0.5) needs from a query, all checked by tests/test_store_query.py or learnt
by timing the queries on a 200k-quad store:

- It only substitutes variables in the SELECT projection (also of a sub-select): every query
  projects its `?param_…` variables (and groups by them if it aggregates); `run_query` drops
  those columns from the result.
- `BOUND(?param_x)` is false even when `?param_x` is substituted (and `BIND(?param_x AS ?y)`
  leaves `?y` unbound): test "was it given?" with `COALESCE(?param_x, "") = ""`.
- Resolve a parameter once, in a sub-select joined first, to the things it names (`?xScope`,
  left unbound when the parameter is not given), then filter each row against it with an
  OPTIONAL that looks one step up (`OPTIONAL { ?x hkg:partOf ?up FILTER(?up = ?xScope) }`,
  then `FILTER(!BOUND(?xScope) || ?x = ?xScope || BOUND(?up))`). Label matching per row, or
  a UNION of "not given" and a sub-select, is evaluated row by row and takes minutes.
- Look a parameter up in the materialised hkg:key rather than comparing every name: `{
  BIND(COALESCE(LCASE(?param_x), "") AS ?xKey) ?xScope hkg:key ?xKey } UNION { BIND(
  COALESCE(CONCAT(?param_x, ""), "") AS ?xIriKey) ?xScope hkg:key ?xIriKey }` is two index
  lookups (0–1 ms at 10,000 reports; a scan of the names or keys with a FILTER took 100–120
  ms per parameter). The COALESCE matters: a variable unbound by a failed BIND would match
  every key. (`BIND(?param_x AS ?k)` does not work, see above; `CONCAT` does.)
- Faster where a scope should drive the join (who-what-where; docs/scaling.md, "Query
  plans"): make the scope bound in every row, with a third branch `{ BIND(hkg:everything AS
  ?xScope) FILTER(COALESCE(?param_x, "") = "") }`, then join `?x hkg:within ?xScope`;
  Oxigraph then starts from the scope. A type test that would otherwise be picked first is
  `?x a ?t FILTER(?t = …)`.
- What else makes Oxigraph read everything (docs/scaling.md, "What else steers the plan"):
  a VALUES block (it counts as small as its rows, so the query starts from it), an OPTIONAL
  of three or more patterns (computed for the whole store; two are looked up row by row), a
  BIND that may fail (`IF`, `IRI`: wrap it in `COALESCE(…, "")`), a FILTER EXISTS of two or
  more patterns (evaluated once for the whole store, not per row).
- Put OPTIONAL after the required patterns; use DISTINCT, since the union default graph
  returns a triple once per graph holding it (asserted and inferred copies both count).
- GROUP_CONCAT keeps the order of an ordered sub-select: that is how lists come out sorted.

The same text also runs on remote engines (kg.query.backends binds the parameters with VALUES
blocks), and must give the same rows on Virtuoso 7.2, whose SPARQL differs (docs/scaling.md has the
list; tests/test_remote_engines.py checks every query there):

- never `STR()` a string parameter (Virtuoso garbles its non-ASCII characters): use it as it
  is in `LCASE`, `REGEX`, `COALESCE(?param_x, "") = ""`; only the IRI branch takes
  `IRI(STR(?param_x))`, after `REGEX(?param_x, "^[a-z][a-z0-9+.-]*:[^ ]*$", "i")`;
- a UNION branch needs a pattern or a BIND (`{ BIND(true AS ?xNotGiven) FILTER(…) }`);
- a property path with `*`, `+` or `?` only as a pattern whose end a sub-select binds
  (`?place hkg:partOf* ?placeScope` in organisations-in), never in EXISTS or with both ends
  free; to test "inside the scope" row by row, the closures of hkg:partOf and skos:broader
  are materialised (kg.reason.materialise), so use `OPTIONAL { ?x hkg:partOf ?up FILTER(?up =
  ?xScope) }` and test `BOUND(?up)`;
- a sub-select that projects a parameter must bind it in every row: a UNION branch that does
  not use it gets no VALUES block, leaves it unbound, and Virtuoso 7.2 then drops the row when
  the outer group binds the same parameter; make every branch name every projected parameter
  (`BIND(CONCAT(COALESCE(?param_a, ""), COALESCE(?param_b, "")) AS ?asked)`, as outcomes and
  gaps do);
- a FILTER inside a nested OPTIONAL sees only that OPTIONAL's variables and the parameters:
  Virtuoso does not see a variable bound outside it (Oxigraph's row-by-row plan does, its hash
  plan does not), so test such variables at the group's level or use the parameters;
- no sequence path inside an OPTIONAL, and no property path in a UNION branch (Oxigraph
  evaluates either for the whole store; nest one-pattern OPTIONALs, use `a|b` alternatives);
  keep scope sub-selects that join the rest only through FILTERs to one (with two, Oxigraph
  stops looking OPTIONALs up row by row); docs/scaling.md, "Starting from the place or
  organisation";
- compare IRIs with `=`, not sameTerm; an aggregate that may see no value is
  `IF(COUNT(?v) > 0, GROUP_CONCAT(?v; …), SAMPLE(?none))` (unbound everywhere).

Queries run with the store's default graph as the union of all named graphs.

One file: the named queries' catalogue, parameter parsing and binding are one contract the CLI,
the server and the tests share.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.folding import fold
from kg.resources import asset_dir, asset_files, internal_query

PARAM_PREFIX = "param_"
XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = ("string", "gYear", "integer")

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

_HEADER_RE = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*?)\s*$")
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<spec>[^)]*)\)\s*(?:—|–|--|-|:)?\s*(?P<doc>.*)$"
)
_PARAM_VAR_RE = re.compile(r"[?$]" + PARAM_PREFIX + r"([A-Za-z0-9_]+)")
_YEAR_RE = re.compile(r"^-?[0-9]{4}$")
_INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class QueryError(Exception):
    """A query could not be loaded or run."""


class UnknownQueryError(QueryError, LookupError):
    """No named query by that name (or no .rq file at that path)."""


class QueryDefinitionError(QueryError):
    """A .rq file's header does not match the variables it uses."""


class QueryParamError(QueryError, ValueError):
    """Parameters given to a query are unknown, missing or malformed."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    required: bool
    doc: str
    type: str = "string"  # one of PARAM_TYPES

    def term(self, value: str) -> ox.Literal:
        """The literal bound to `?param_<name>` for a value given by the user."""
        text = str(value).strip()
        if self.type == "gYear":
            if not _YEAR_RE.match(text):
                raise QueryParamError(f"{self.name}: expected a four-digit year, got {value!r}")
            return ox.Literal(text, datatype=ox.NamedNode(XSD + "gYear"))
        if self.type == "integer":
            if not _INTEGER_RE.match(text):
                raise QueryParamError(f"{self.name}: expected an integer, got {value!r}")
            return ox.Literal(text, datatype=ox.NamedNode(XSD + "integer"))
        if not text:
            raise QueryParamError(f"{self.name}: empty value")
        return ox.Literal(text)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path | None
    title: str
    description: str
    params: list[QueryParam]
    text: str
    # `kg query --sparql`: the project's prefixes are declared for the user (`kg queries
    # --prefixes`), those the text does not declare itself
    default_prefixes: bool = False

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)

    def substitutions(self, params: dict[str, Any] | None) -> dict[ox.Variable, Term]:
        """Check `params` against the header and turn them into pyoxigraph substitutions."""
        given = {k: v for k, v in (params or {}).items() if v is not None}
        known = [p.name for p in self.params]
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise QueryParamError(
                f"query {self.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters: {', '.join(known) or '(none)'}"
            )
        missing = [p.name for p in self.params if p.required and p.name not in given]
        if missing:
            raise QueryParamError(
                f"query {self.name!r} needs parameter {', '.join(map(repr, missing))}"
            )
        out: dict[ox.Variable, Term] = {}
        for p in self.params:
            if p.name in given:
                out[ox.Variable(PARAM_PREFIX + p.name)] = p.term(given[p.name])
        return out


@dataclass
class QueryResult:
    """Rows of plain strings: IRIs in full, literals as their lexical form, None if unbound."""

    columns: list[str]
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    # the datatype IRI of each literal cell (None: an IRI, a blank node, a string, unbound), so
    # that JSON gives numbers as numbers; empty when unknown (every cell then a string)
    datatypes: list[tuple[str | None, ...]] = field(default_factory=list)

    @classmethod
    def from_boolean(cls, value: bool) -> QueryResult:
        """An ASK answer: one `result` column, "true" or "false" (a boolean in JSON)."""
        return cls(["result"], [("true" if value else "false",)], [(XSD + "boolean",)])

    @classmethod
    def from_triples(cls, triples: Iterable[ox.Triple]) -> QueryResult:
        """A CONSTRUCT / DESCRIBE answer: `subject`, `predicate`, `object`."""
        return cls(
            ["subject", "predicate", "object"],
            [(term_text(t.subject), term_text(t.predicate), term_text(t.object)) for t in triples],
        )

    def records(self) -> list[dict[str, str | None]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def typed_records(self) -> list[dict[str, Any]]:
        """Rows as JSON values: numbers as numbers, booleans as booleans, the rest (IRIs, dates,
        years, text) as strings, unbound as null (docs/schemas/query-result.schema.json)."""
        types = self.datatypes or [(None,) * len(self.columns)] * len(self.rows)
        return [
            {c: json_value(v, t) for c, v, t in zip(self.columns, row, kinds, strict=True)}
            for row, kinds in zip(self.rows, types, strict=True)
        ]

    def to_json(self) -> str:
        return json.dumps(self.typed_records(), ensure_ascii=False, indent=2)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(["" if v is None else v for v in row] for row in self.rows)
        return buffer.getvalue()

    def to_table(self) -> str:
        cells = [self.columns] + [
            ["" if v is None else " ".join(v.split()) for v in row] for row in self.rows
        ]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n"


def parse_query(text: str, name: str = "<inline>", path: Path | None = None) -> NamedQuery:
    """A NamedQuery from SPARQL text with (or without) the comment header."""
    title, description, params = "", [], []
    where = str(path) if path else name
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER_RE.match(stripped)
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            title = value
        elif key == "description":
            description.append(value)
        else:
            params.append(_parse_param(value, where))
    declared = {p.name for p in params}
    used = set(_PARAM_VAR_RE.findall(text))
    if used - declared:
        raise QueryDefinitionError(
            f"{where}: uses ?{PARAM_PREFIX}{sorted(used - declared)[0]} "
            "without a `# param:` line for it"
        )
    if declared - used:
        raise QueryDefinitionError(
            f"{where}: declares parameter {sorted(declared - used)[0]!r} "
            f"but never uses ?{PARAM_PREFIX}{sorted(declared - used)[0]}"
        )
    return NamedQuery(name, path, title or name, " ".join(description), params, text)


def _parse_param(value: str, where: str) -> QueryParam:
    match = _PARAM_RE.match(value)
    if not match:
        raise QueryDefinitionError(
            f"{where}: bad param line {value!r}; expected `name (optional|required[, type]) — doc`"
        )
    spec = [s.strip() for s in match["spec"].split(",") if s.strip()]
    if not spec or spec[0] not in ("optional", "required"):
        raise QueryDefinitionError(
            f"{where}: param {match['name']!r} must say optional or required"
        )
    kind = spec[1] if len(spec) > 1 else "string"
    if kind not in PARAM_TYPES:
        raise QueryDefinitionError(
            f"{where}: param {match['name']!r} has unknown type {kind!r}; "
            f"known: {', '.join(PARAM_TYPES)}"
        )
    return QueryParam(match["name"], spec[0] == "required", match["doc"].strip(), kind)


def list_queries() -> list[NamedQuery]:
    """Every named query shipped in queries/, sorted by name."""
    return [_read(path) for path in asset_files("queries", "*.rq")]


def load_query(name_or_path: str | Path) -> NamedQuery:
    """A named query by name (`who-what-where`) or a path to any .rq file.

    A string with a slash or ending in `.rq` is a path; a bare `name.rq` that is not a file
    in the working directory falls back to the named query `name`.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or text.endswith(".rq"):
        path = Path(text)
        if path.is_file():
            return _read(path)
        if isinstance(name_or_path, Path) or "/" in text:
            raise UnknownQueryError(f"no query file at {path}")
        text = text.removesuffix(".rq")
    path = asset_dir("queries") / f"{text}.rq"
    if not _NAME_RE.match(text) or not path.is_file():
        known = ", ".join(q.stem for q in asset_files("queries", "*.rq"))
        raise UnknownQueryError(f"unknown query {text!r}; known queries: {known}")
    return _read(path)


def _read(path: Path) -> NamedQuery:
    return parse_query(path.read_text(encoding="utf-8"), name=path.stem, path=path)


def run_query(
    store: ox.Store, query: NamedQuery | str, params: dict[str, Any] | None = None
) -> QueryResult:
    """Run a query on `store`, the default graph being the union of the named graphs.

    `query` is a NamedQuery, the name of one, a path to a .rq file, or SPARQL text (any
    string with a space or brace in it). `params` maps parameter names to values (None = not
    given). SELECT gives its columns (without the `param_…` ones); ASK gives one `result`
    column; CONSTRUCT/DESCRIBE give `subject`, `predicate`, `object`.
    """
    if isinstance(query, str):
        is_text = any(c in query for c in "{ \n\t")
        query = parse_query(query) if is_text and not query.endswith(".rq") else load_query(query)
    substitutions = query.substitutions(params)
    text, added = with_prefixes(query.text) if query.default_prefixes else (query.text, 0)
    try:
        result = store.query(
            text,
            use_default_graph_as_union=True,
            substitutions=substitutions or None,
        )
    except SyntaxError as exc:
        where = query.path or query.name
        raise QueryError(f"{where}: {syntax_error(query.text, str(exc), added)}") from exc
    except RuntimeError as exc:  # e.g. a substituted variable missing from the projection
        raise QueryError(f"{query.path or query.name}: {exc}") from exc
    if isinstance(result, ox.QueryBoolean):
        return QueryResult.from_boolean(bool(result))
    if isinstance(result, ox.QueryTriples):
        return QueryResult.from_triples(result)
    names = [v.value for v in result.variables]
    keep = [i for i, n in enumerate(names) if is_answer_column(n)]
    rows, types = [], []
    for solution in result:
        values = list(solution)
        rows.append(tuple(term_text(values[i]) for i in keep))
        types.append(tuple(term_datatype(values[i]) for i in keep))
    return QueryResult([names[i] for i in keep], rows, types)


def project_prefixes() -> dict[str, str]:
    """The prefixes `kg query --sparql` declares for the user: the project's namespaces."""
    from kg.namespaces import PREFIXES

    return {prefix: str(ns) for prefix, ns in PREFIXES.items()}


def with_prefixes(text: str) -> tuple[str, int]:
    """The query with the project's PREFIX declarations it lacks on one line before it, and
    the number of lines added (0 or 1), so that error positions can be given in the user's
    text."""
    declared = {m.group(1) for m in _PREFIX_DECL.finditer(text)}
    missing = [
        f"PREFIX {prefix}: <{iri}>"
        for prefix, iri in project_prefixes().items()
        if prefix not in declared
    ]
    if not missing:
        return text, 0
    return " ".join(missing) + "\n" + text, 1


_PREFIX_DECL = re.compile(r"\bPREFIX\s+([\w.-]*):", re.IGNORECASE)
_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


def syntax_error(text: str, message: str, added_lines: int = 0) -> str:
    """The parser's message as a reader needs it: line and column in the query as written,
    that line, and a caret under the place (pyoxigraph says "error at LINE:COLUMN: …")."""
    m = _ERROR_AT.search(message)
    if m is None:
        return message
    line, column = int(m.group(1)) - added_lines, int(m.group(2))
    lines = text.splitlines() or [""]
    if not 1 <= line <= len(lines):
        return message
    detail = " ".join(m.group(3).split())
    if len(detail) > 160:
        detail = detail[:157] + "…"
    shown = lines[line - 1]
    caret = " " * max(0, min(column - 1, len(shown))) + "^"
    return f"syntax error at line {line}, column {column}: {detail}\n  {shown}\n  {caret}"


def is_answer_column(name: str) -> bool:
    """False for a `param_…` column: a parameter echoed by the projection, not an answer."""
    return not name.startswith(PARAM_PREFIX)


_INTEGERS = {
    XSD + name
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
    )
}
_REALS = {XSD + "decimal", XSD + "double", XSD + "float"}


def term_datatype(term: Any) -> str | None:
    """The datatype IRI of a literal result term (None for IRIs, blank nodes, unbound)."""
    return str(term.datatype.value) if isinstance(term, ox.Literal) else None


def json_value(text: str | None, datatype: str | None) -> Any:
    """A cell as JSON: xsd integers as integers, decimals and doubles as numbers, booleans as
    booleans; a value its datatype does not parse stays the string it was."""
    if text is None or datatype is None:
        return text
    try:
        if datatype in _INTEGERS:
            return int(text)
        if datatype in _REALS:
            value = float(text)
            if value != value or abs(value) == float("inf"):
                return text  # NaN and infinities have no JSON number
            # a whole xsd:decimal ("30.0", a count) is written as the integer it is
            return int(value) if datatype == XSD + "decimal" and value.is_integer() else value
    except ValueError:
        return text
    if datatype == XSD + "boolean" and text in {"true", "false", "1", "0"}:
        return text in {"true", "1"}
    return text


def term_text(term: Any) -> str | None:
    """A result term as a plain string: IRIs in full, literals as their lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


__all__ = [
    "NamedQuery",
    "QueryDefinitionError",
    "QueryError",
    "QueryParam",
    "QueryParamError",
    "QueryResult",
    "UnknownQueryError",
    "list_queries",
    "load_query",
    "parse_query",
    "run_query",
    "stats",
]


# --- parameters that matched nothing -----------------------------------------------------------

HKG_NS = "https://w3id.org/humanitarian-kg/ontology#"
# what a parameter names, by its name: the class its value must be a name of
PARAM_CLASSES = {
    "place": "Place",
    "country": "Country",
    "organisation": "Organisation",
    "sector": "Sector",
    "indicator": "Indicator",
    "report": "Report",
    "role": "PartnerRole",
}
Ask = Callable[[str, dict[str, Term]], bool]
Names = Callable[[str, dict[str, Term]], list[str]]


@dataclass(frozen=True)
class NoMatch:
    """A parameter whose value names nothing in the store, with the closest known names."""

    param: str
    value: str
    suggestions: list[str]

    def message(self) -> str:
        hint = (
            f"; did you mean {', '.join(map(repr, self.suggestions))}?" if self.suggestions else ""
        )
        return f"{self.param} {self.value!r} matches nothing in the store{hint}"

    def to_dict(self) -> dict[str, Any]:
        return {"param": self.param, "value": self.value, "suggestions": self.suggestions}


def unmatched(query: NamedQuery, params: dict[str, Any], ask: Ask, names: Names) -> list[NoMatch]:
    """The parameters of `query` whose value names no place, organisation, sector… (or, for a
    year, no year) in the store: why a query gave no rows, when it is that. `ask` and `names`
    run an internal query with bindings where the caller's queries run (the embedded store,
    a worker, a remote endpoint)."""
    out = []
    for p in query.params:
        value = params.get(p.name)
        if value is None or not str(value).strip():
            continue
        text = str(value).strip()
        if p.type == "gYear":
            year = p.term(text)
            if not ask(internal_query("year-known"), {"year": year}):
                out.append(NoMatch(p.name, text, closest(text, names(internal_query("years"), {}))))
            continue
        cls = PARAM_CLASSES.get(p.name)
        if cls is None:
            continue
        bound: dict[str, Term] = {"class": ox.NamedNode(HKG_NS + cls)}
        known = ask(internal_query("name-known"), {**bound, "key": ox.Literal(text.lower())})
        if not known and ":" in text:
            known = ask(internal_query("name-known"), {**bound, "key": ox.Literal(text)})
        if not known:
            choices = names(internal_query("names-of-class"), bound)
            out.append(NoMatch(p.name, text, closest(text, choices)))
    return out


def closest(value: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """The known names nearest to a misspelt one (case and accents ignored), best first."""
    from rapidfuzz import fuzz, process

    by_key: dict[str, str] = {}
    for choice in sorted(set(choices)):
        by_key.setdefault(fold(choice), choice)
    found = process.extract(
        fold(value), list(by_key), scorer=fuzz.WRatio, limit=limit, score_cutoff=70
    )
    return [by_key[key] for key, _score, _index in found]


def store_lookups(store: ox.Store) -> tuple[Ask, Names]:
    """`ask` and `names` for `unmatched` on the embedded store."""

    def ask(text: str, bindings: dict[str, Term]) -> bool:
        result = store.query(
            text,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in bindings.items()},
        )
        return bool(result)

    def names(text: str, bindings: dict[str, Term]) -> list[str]:
        result = store.query(
            text,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in bindings.items()} or None,
        )
        return [s["name"].value for s in result]  # type: ignore[union-attr]

    return ask, names


def stats(store: ox.Store) -> dict[str, Any]:
    """Counts for `kg stats`: quads, named graphs, instances per hkg class, figures per report.

    Returns `{"quads": n, "graphs": n, "classes": {class_iri: n},
    "reports": {graph_iri: {"report", "triples", "outcomes", "context_figures",
    "presences", "partnerships"}}}`.
    """
    classes: dict[str, int] = {}
    for row in run_query(store, load_query("stats-classes")).records():
        classes[str(row["class"])] = int(row["instances"] or 0)
    reports: dict[str, dict[str, Any]] = {}
    for row in run_query(store, load_query("stats-by-report")).records():
        graph = str(row.pop("graph"))
        reports[graph] = {
            key: (value if key == "report" else int(value or 0)) for key, value in row.items()
        }
    return {
        "quads": len(store),
        "graphs": sum(1 for _ in store.named_graphs()),
        "classes": classes,
        "reports": reports,
    }
