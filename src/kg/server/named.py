"""`/api/queries/NAME`: one named query run with its parameters, answered as `kg query` does.

`GET /api/queries/organisations-in?place=Timbuktu` gives the rows of
`kg query organisations-in --param place=Timbuktu --format json` (`?format=csv`: its CSV).
The parameters are checked against the query's header and bound as RDF terms (a `Job`'s
bindings), then the query runs wherever the server's queries run: a worker on the embedded
store, or the remote endpoint (`kg serve --endpoint`, bound there with VALUES blocks). So the
same request gives the same rows from either, with the server's time limit and result cap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from kg.query.backends import query_form
from kg.query.named import (
    NamedQuery,
    NoMatch,
    QueryError,
    QueryResult,
    Term,
    is_answer_column,
    unmatched,
)
from kg.server.worker import Answer, Job, error

Runner = Callable[[Job, float | None], Answer]
OUTPUTS = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def run_named(
    run: Runner,
    queries: Mapping[str, NamedQuery],
    name: str,
    params: Mapping[str, Sequence[str]],
    max_results: int,
) -> Answer:
    """The answer to `/api/queries/{name}?{param}=…[&format=json|csv]`."""
    query = queries.get(name)
    if query is None:
        return error(404, f"no named query {name!r}; known queries: {', '.join(sorted(queries))}")
    given: dict[str, str] = {}
    for key, values in params.items():
        if len(values) != 1:
            return error(400, f"{key} given {len(values)} times: give it once")
        given[key] = values[0]
    output = given.pop("format", "json")
    if output not in OUTPUTS:
        return error(400, f"unknown format {output!r}: use json or csv")
    try:
        substitutions = query.substitutions(given)
        form = query_form(query.text)
    except QueryError as exc:
        return error(400, str(exc))
    bindings = tuple((var.value, str(term)) for var, term in substitutions.items())
    graph = form in ("CONSTRUCT", "DESCRIBE")
    job = Job(
        query.text, formats=("nt" if graph else "json",), bindings=bindings, max_results=max_results
    )
    answer = run(job, None)
    if not answer.ok:
        return answer
    result = _graph_result(answer.body) if graph else _select_result(answer.body)
    if not result.rows:
        misses = _unmatched(run, query, given)
        if misses:  # no rows because a parameter names nothing: 404, with the closest names
            text = json.dumps(
                {
                    "error": "; ".join(m.message() for m in misses),
                    "unmatched": [m.to_dict() for m in misses],
                },
                ensure_ascii=False,
                indent=2,
            )
            return Answer(404, OUTPUTS["json"], (text + "\n").encode("utf-8"))
    if output == "csv":
        return Answer(200, OUTPUTS["csv"], result.to_csv().encode("utf-8"), len(result.rows))
    body = (result.to_json() + "\n").encode("utf-8")
    return Answer(200, OUTPUTS["json"], body, len(result.rows))


def _unmatched(run: Runner, query: NamedQuery, given: dict[str, str]) -> list[NoMatch]:
    """`kg.query.named.unmatched`, its internal queries run where this server's queries run."""

    def answer(text: str, bindings: dict[str, Term]) -> Any:
        job = Job(text, formats=("json",), bindings=tuple((k, str(v)) for k, v in bindings.items()))
        reply = run(job, None)
        if not reply.ok:
            raise QueryError(reply.body.decode("utf-8", "replace"))
        return json.loads(reply.body)

    def ask(text: str, bindings: dict[str, Term]) -> bool:
        return bool(answer(text, bindings).get("boolean"))

    def names(text: str, bindings: dict[str, Term]) -> list[str]:
        rows = answer(text, bindings)["results"]["bindings"]
        return [str(row["name"]["value"]) for row in rows if "name" in row]

    try:
        return unmatched(query, given, ask, names)
    except QueryError:
        return []  # the rows were empty; no better explanation can be had


def _select_result(body: bytes) -> QueryResult:
    """SPARQL JSON results as `kg query` shows them (no `param_…` columns, plain strings)."""
    data = json.loads(body)
    if "boolean" in data:
        return QueryResult.from_boolean(bool(data["boolean"]))
    keep = [v for v in data["head"]["vars"] if is_answer_column(v)]
    bindings = data["results"]["bindings"]
    rows = [tuple(_text(b.get(v)) for v in keep) for b in bindings]
    types = [tuple(_datatype(b.get(v)) for v in keep) for b in bindings]
    return QueryResult(keep, rows, types)


def _graph_result(body: bytes) -> QueryResult:
    triples = ox.parse(body, ox.RdfFormat.N_TRIPLES)
    return QueryResult(
        ["subject", "predicate", "object"],
        [(_term(t.subject), _term(t.predicate), _term(t.object)) for t in triples],
    )


def _datatype(term: Mapping[str, Any] | None) -> str | None:
    """`kg.query.named.term_datatype` for a SPARQL JSON term."""
    if term is None or term.get("type") not in ("literal", "typed-literal"):
        return None
    datatype = term.get("datatype")
    return str(datatype) if datatype else None


def _text(term: Mapping[str, Any] | None) -> str | None:
    """`kg.query.named.term_text` for a SPARQL JSON term."""
    if term is None:
        return None
    value = str(term["value"])
    return f"_:{value}" if term.get("type") == "bnode" else value


def _term(term: Any) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(term.value)


__all__ = ["run_named"]
