"""What the endpoint checks in a request's SPARQL before any of it runs.

Oxigraph runs whatever it is given: it evaluates `SERVICE <http://…>` by calling that host
(so an open endpoint could be made to fetch from the machine's private network) and offers no
switch to forbid it. The endpoint therefore looks at the query text itself, the way the
SPARQL parser will see it:

1. SPARQL lets `\\uXXXX` / `\\UXXXXXXXX` escapes stand for any character anywhere in a query
   (SPARQL 1.1 Query §19.2), and Oxigraph decodes them before parsing: so does `inspect`,
   or `\\u0053ERVICE` would slip through.
   (Measured with pyoxigraph 0.5: it does not decode them outside strings; decoding anyway
   only ever refuses more.)
2. Comments, string literals and IRIs are blanked out, so a keyword inside them is not one.
3. What is left is cut into tokens as the grammar reads them (variables, prefixed names,
   blank node labels, language tags, bare words). Oxigraph's parser needs no space before a
   keyword: `?s ?p 1SERVICE <…> {}`, `trueSERVICE`, `?o.SERVICE` and `"x"SERVICE` all run a
   SERVICE clause (measured; tests/test_server_guard.py keeps the list). So any bare word
   containing SERVICE is refused, and so is a prefixed name with `.SERVICE` in it. A
   variable (`?service`), a prefixed name (`ex:service`), a blank node label or a language
   tag is not a keyword. A SPARQL Update starts (after BASE/PREFIX) with an update keyword.

The check errs on the side of refusing: a query that merely looks like it contains SERVICE
(say, `ex:a.service`) is refused rather than run.
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
# Tokens of what is left, longest first, the way the SPARQL grammar reads them. Non-ASCII
# characters count as name characters (a superset of SPARQL's PN_CHARS): a token that is too
# long could hide a keyword, so where the grammar and these classes disagree they disagree
# towards a shorter variable or name (where a keyword is refused) or a syntax error.
_NAME = "A-Za-z0-9_\u00b7\u00c0-\U0010ffff"
_TOKEN_RE = re.compile(
    rf"(?P<var>[?$][{_NAME}]+)"
    rf"|(?P<bnode>_:[{_NAME}\-.]*)"
    rf"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    rf"|(?P<pname>(?:[A-Za-z\u00c0-\U0010ffff][{_NAME}\-.]*)?:[{_NAME}\-.:%\\]*)"
    rf"|(?P<word>[{_NAME}\-.+]+)"
    r"|(?P<other>\S)"
)
_SERVICE_IN_WORD_RE = re.compile("service", re.IGNORECASE)
_SERVICE_IN_NAME_RE = re.compile(r"\.service", re.IGNORECASE)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
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


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of the query's skeleton; kinds: var bnode lang pname word other."""
    out = []
    for match in _TOKEN_RE.finditer(skeleton(text)):
        kind = match.lastgroup or "other"
        out.append((kind, match.group(0)))
    return out


def inspect(text: str) -> Inspection:
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
    has_service = any(
        (kind == "word" and _SERVICE_IN_WORD_RE.search(word))
        or (kind == "pname" and _SERVICE_IN_NAME_RE.search(word))
        for kind, word in toks
    )
    has_from = any(kind == "word" and word.upper() == "FROM" for kind, word in toks)
    return Inspection(
        is_update=is_update,
        first_keyword=keyword,
        has_service=has_service,
        has_from=has_from,
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
    "Inspection",
    "QueryRefused",
    "UPDATE_KEYWORDS",
    "check_query",
    "check_variable",
    "decode_codepoints",
    "inspect",
    "parse_term",
    "skeleton",
    "tokens",
]
