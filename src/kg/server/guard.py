"""What the endpoint checks in a request's SPARQL before any of it runs.

Oxigraph runs whatever it is given: it evaluates `SERVICE <http://…>` by calling that host
(so an open endpoint could be made to fetch from the machine's private network) and offers no
switch to forbid it. The endpoint therefore looks at the query text itself, the way the
SPARQL parser will see it:

1. SPARQL lets `\\uXXXX` / `\\UXXXXXXXX` escapes stand for any character anywhere in a query
   (SPARQL 1.1 Query §19.2), and Oxigraph decodes them before parsing: so does `inspect`,
   or `\\u0053ERVICE` would slip through.
2. Comments, string literals and IRIs are blanked out, so a keyword inside them is not one.
3. What is left is scanned for keywords. SERVICE is a reserved word: where it appears as a
   token it is the SERVICE clause. A SPARQL Update starts (after BASE/PREFIX) with an update
   keyword.

The check errs on the side of refusing: a query that merely looks like it contains SERVICE
(say, in a malformed literal) is refused rather than run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

_CODEPOINT_RE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# Things whose content is not SPARQL syntax, in the order the lexer must try them.
_OPAQUE_RE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n\r]*",
    re.DOTALL,
)
# A bare word: not part of a variable (?x $x), prefixed name (a:x x:), blank node label (_:x),
# language tag (@x) or longer name (x-y, x.y, x_y).
_WORD = r"(?<![?$:@\w.\-]){}(?![\w:\-])"
_SERVICE_RE = re.compile(_WORD.format("SERVICE"), re.IGNORECASE)
_FROM_RE = re.compile(_WORD.format("FROM"), re.IGNORECASE)
_FIRST_KEYWORD_RE = re.compile(r"[A-Za-z]+")
_PROLOGUE_RE = re.compile(
    r"\s*(?:BASE\s*(?:\s|$)|PREFIX\s+[A-Za-z0-9_.\-]*:\s*)", re.IGNORECASE
)
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class QueryRefused(Exception):
    """The request asks for something this read-only endpoint does not do.

    `status` is the HTTP status to answer with.
    """

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Inspection:
    """What the guard found in a query."""

    is_update: bool
    first_keyword: str
    has_service: bool
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
    """The query with codepoint escapes decoded and comments, strings and IRIs blanked."""
    return _OPAQUE_RE.sub(" ", decode_codepoints(text))


def inspect(text: str) -> Inspection:
    bare = skeleton(text)
    rest = bare
    while True:  # skip the prologue: BASE <…> and PREFIX p: <…> (IRIs already blanked)
        match = _PROLOGUE_RE.match(rest)
        if not match:
            break
        rest = rest[match.end():]
    first = _FIRST_KEYWORD_RE.match(rest.lstrip())
    keyword = first.group(0).upper() if first else ""
    return Inspection(
        is_update=keyword in UPDATE_KEYWORDS,
        first_keyword=keyword,
        has_service=bool(_SERVICE_RE.search(bare)),
        has_from=bool(_FROM_RE.search(bare)),
    )


def check_query(text: str) -> Inspection:
    """Inspect a query and raise QueryRefused for an update or a SERVICE clause."""
    if not text.strip():
        raise QueryRefused("the query is empty", 400)
    found = inspect(text)
    if found.is_update:
        raise QueryRefused(
            f"this is a SPARQL Update ({found.first_keyword}), not a query: this endpoint is "
            "read-only and runs queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)",
            400,
        )
    if found.has_service:
        raise QueryRefused(
            "federated queries are not allowed here: this endpoint refuses every SERVICE "
            "clause (it will not call other endpoints on your behalf)",
            403,
        )
    return found


def parse_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One RDF term in N-Triples syntax (`<iri>`, `"text"`, `"2023"^^<…#gYear>`, `"x"@fr`)."""
    try:
        triples = list(
            ox.parse(f"<urn:s> <urn:p> {text.strip()} .\n".encode(), ox.RdfFormat.N_TRIPLES)
        )
    except SyntaxError as exc:
        raise QueryRefused(f"bad binding value {text!r}: not an N-Triples term ({exc})", 400)
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
    "Inspection",
    "QueryRefused",
    "UPDATE_KEYWORDS",
    "check_query",
    "check_variable",
    "decode_codepoints",
    "inspect",
    "parse_term",
    "skeleton",
]
