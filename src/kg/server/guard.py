"""What the endpoint checks in a request's SPARQL before any of it runs.

Oxigraph runs whatever it is given: it evaluates `SERVICE <http://…>` by calling that host
(so an open endpoint could be made to fetch from the machine's private network) and offers no
switch to forbid it. Two independent bounds keep SERVICE out (docs/security.md):

1. **The parsed query** (`ServiceCheck`, here): a query whose text could spell the SERVICE
   keyword at all (the letters `service`, in any case, in the text as sent or with its
   `\\uXXXX` escapes decoded) is parsed with rdflib's SPARQL parser and refused (403) when
   its parse tree or algebra holds a `ServiceGraphPattern`, or (400) when rdflib cannot parse
   it, since then it cannot be checked. A query without those letters cannot hold a SERVICE
   clause in any parser's reading, so it needs no parse (rdflib takes 0.1-0.3 s on a named
   query; most queries never pay it). Before parsing, each `\\u`/`\\U` escape is replaced
   by a plain letter: rdflib decodes escapes before it reads tokens, Oxigraph only inside
   strings and IRIs (measured with pyoxigraph 0.5), so decoding first would let `"\\u0022"`
   end a string for the checker but not for the engine. With a letter in its place both read
   the same tokens. The check runs where queries run (a worker process, killed at the time
   limit), never on the HTTP threads: rdflib's parser is slow on large input.
2. **The engine cannot reach the network** (kg.server.sandbox): query workers run under a
   seccomp filter that refuses every IPv4/IPv6 socket, so a SERVICE clause that got past the
   check fails inside Oxigraph without a packet sent (Linux; see the sandbox module).

The text itself is still read for two things that are not security bounds: the first keyword
(an update gets a clear "read-only" message; the store is opened read-only and pyoxigraph's
`query()` runs no update anyway) and whether the query names its own dataset (`FROM`), so
that the union default graph is not forced over it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

_CODEPOINT_RE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# Things whose content is not SPARQL syntax, in the order the lexer must try them. `\.` (a
# prefixed name's escape, `ex:a\#b`) comes before comments, so that `\#` starts none.
_OPAQUE_RE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|\\."
    r"|#[^\n\r]*",
    re.DOTALL,
)
_NAME = "A-Za-z0-9_\u00b7\u00c0-\U0010ffff"
_TOKEN_RE = re.compile(
    rf"(?P<var>[?$][{_NAME}]+)"
    rf"|(?P<bnode>_:[{_NAME}\-.]*)"
    rf"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    rf"|(?P<pname>(?:[A-Za-z\u00c0-\U0010ffff][{_NAME}\-.]*)?:[{_NAME}\-.:%\\]*)"
    rf"|(?P<word>[{_NAME}\-.+]+)"
    r"|(?P<other>\S)"
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SERVICE_REFUSED = (
    "federated queries are not allowed here: this endpoint refuses every SERVICE clause "
    "(it will not call other endpoints on your behalf)"
)


class QueryRefused(Exception):
    """The request asks for something this read-only endpoint does not do.

    `status` is the HTTP status to answer with.
    """

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Inspection:
    """What a reading of the query's text found (no security bound: see the module)."""

    is_update: bool
    first_keyword: str
    has_from: bool


def decode_codepoints(text: str) -> str:
    """Replace SPARQL's `\\uXXXX` and `\\UXXXXXXXX` escapes by the characters they stand for."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        try:
            return chr(code)
        except ValueError:  # beyond U+10FFFF: leave it for the parser to reject
            return match.group(0)

    return _CODEPOINT_RE.sub(char, text)


def skeleton(text: str) -> str:
    """The query with comments, strings, IRIs and name escapes blanked."""
    return _OPAQUE_RE.sub(" ", text)


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of the query's skeleton; kinds: var bnode lang pname word other."""
    out = []
    for match in _TOKEN_RE.finditer(skeleton(text)):
        kind = match.lastgroup or "other"
        out.append((kind, match.group(0)))
    return out


def inspect(text: str) -> Inspection:
    """The query's first keyword (after BASE/PREFIX) and whether it has a FROM clause."""
    toks = tokens(text)
    i = 0
    while i < len(toks):  # skip the prologue: BASE <…> and PREFIX p: <…> (IRIs are blanked)
        kind, word = toks[i]
        if kind == "word" and word.upper() == "BASE":
            i += 1
        elif kind == "word" and word.upper() == "PREFIX":
            i += 2
        else:
            break
    keyword = toks[i][1].upper() if i < len(toks) and toks[i][0] == "word" else ""
    is_update = not keyword.startswith(QUERY_FORMS) and any(
        keyword.startswith(k) for k in UPDATE_KEYWORDS
    )
    has_from = any(kind == "word" and word.upper() == "FROM" for kind, word in toks)
    return Inspection(is_update=is_update, first_keyword=keyword, has_from=has_from)


def check_query(text: str) -> Inspection:
    """Refuse an empty query or an update, with a clear message. (SERVICE is checked where
    the query runs: `ServiceCheck`.)"""
    if not text.strip():
        raise QueryRefused("the query is empty", 400)
    found = inspect(text)
    if found.is_update:
        raise QueryRefused(
            f"this is a SPARQL Update ({found.first_keyword}), not a query: this endpoint is "
            "read-only and runs queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)",
            400,
        )
    return found


# --- SERVICE, on the parsed query ----------------------------------------------------------


def may_spell_service(text: str) -> bool:
    """Could a SPARQL parser read the keyword SERVICE in `text`? False only when the letters
    are nowhere in it, as sent or with its codepoint escapes decoded, in any case (`upper()`
    also maps look-alikes such as U+0131 dotless i and U+017F long s to ASCII)."""
    for variant in (text, decode_codepoints(text)):
        if "SERVICE" in variant.upper() or "service" in variant.casefold():
            return True
    return False


def for_checking(text: str) -> str:
    """`text` with each codepoint escape replaced by a letter, so that a parser which decodes
    escapes before it reads tokens (rdflib) reads the tokens Oxigraph reads."""
    return _CODEPOINT_RE.sub("x", text)


def parsed_service_clauses(text: str) -> bool:
    """Does the parsed query (rdflib's parse tree and, when it translates, its algebra) hold
    a SERVICE clause? Raises QueryRefused (400) when rdflib cannot parse it."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(for_checking(text))
    except Exception as exc:  # pyparsing raises several kinds
        message = " ".join(str(exc).split())[:300]
        raise QueryRefused(
            "the query mentions SERVICE and could not be checked for SERVICE clauses "
            f"(rdflib's SPARQL 1.1 parser, which checks such queries, says: {message})",
            400,
        ) from None
    if _holds_service(parsed):
        return True
    try:
        algebra = translateQuery(parsed).algebra
    except Exception:  # the parse tree was checked; Oxigraph judges the rest
        return False
    return _holds_service(algebra)


def _holds_service(root: Any) -> bool:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            stack.extend(dict.values(node))
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(list(node))
    return False


class ServiceCheck:
    """Refuses queries that hold a SERVICE clause, read as a SPARQL parser reads them (see the
    module docstring). Remembers its last `size` verdicts: clients repeat their queries
    (bindings travel apart from the text), and one parse can take a tenth of a second."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._verdicts: OrderedDict[str, QueryRefused | None] = OrderedDict()

    def __call__(self, text: str) -> None:
        """Return, or raise QueryRefused: 403 for SERVICE, 400 when it cannot be checked."""
        if not may_spell_service(text):
            return
        if text in self._verdicts:
            self._verdicts.move_to_end(text)
            verdict = self._verdicts[text]
        else:
            try:
                found = parsed_service_clauses(text)
                verdict = QueryRefused(SERVICE_REFUSED, 403) if found else None
            except QueryRefused as refused:
                verdict = refused
            self._verdicts[text] = verdict
            while len(self._verdicts) > self.size:
                self._verdicts.popitem(last=False)
        if verdict is not None:
            raise QueryRefused(str(verdict), verdict.status)


def parse_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One RDF term in N-Triples syntax (`<iri>`, `"text"`, `"2023"^^<…#gYear>`, `"x"@fr`)."""
    try:
        triples = list(
            ox.parse(f"<urn:s> <urn:p> {text.strip()} .\n".encode(), ox.RdfFormat.N_TRIPLES)
        )
    except SyntaxError as exc:
        raise QueryRefused(
            f"bad binding value {text!r}: not an N-Triples term ({exc})", 400
        ) from None
    if len(triples) != 1:
        raise QueryRefused(f"bad binding value {text!r}: expected exactly one RDF term", 400)
    term = triples[0].object
    if isinstance(term, ox.Triple):
        raise QueryRefused(f"bad binding value {text!r}: quoted triples are not accepted", 400)
    return term


def check_variable(name: str) -> str:
    """A binding's variable name (the part after `$` in a request parameter)."""
    if not _VARIABLE_RE.match(name):
        raise QueryRefused(f"bad binding name ${name}: expected a SPARQL variable name", 400)
    return name


__all__ = [
    "SERVICE_REFUSED",
    "UPDATE_KEYWORDS",
    "Inspection",
    "QueryRefused",
    "ServiceCheck",
    "check_query",
    "check_variable",
    "decode_codepoints",
    "for_checking",
    "inspect",
    "may_spell_service",
    "parse_term",
    "parsed_service_clauses",
    "skeleton",
    "tokens",
]
