"""Remote SPARQL stores: a small client for the SPARQL 1.1 Protocol and Graph Store Protocol,
and the `QueryBackend` the CLI and the HTTP endpoint run named queries through.

Two backends answer the same named queries with the same `QueryResult`:

- `EmbeddedBackend`: `kg.query.named.run_query` on the embedded pyoxigraph store, parameters bound
  with pyoxigraph substitutions;
- `RemoteBackend`: the query sent to a SPARQL endpoint (Oxigraph server, Virtuoso, Fuseki…)
  over HTTP, parameters bound with `VALUES` blocks (see `bind_values`), results read from
  SPARQL JSON.

The remote endpoint's default graph must be the union of its named graphs, as the embedded
store's is: Virtuoso's is by default, Oxigraph server needs `--union-default-graph` (see
docs/scaling.md). `RemoteBackend.union_default_graph()` checks it.

Only the standard library speaks HTTP here (urllib with Basic and Digest authentication).
Every failure is a `RemoteError` whose message is one line naming the URL and what was being
done; 5xx answers, timeouts and dropped connections are retried with exponential back-off
(every request sent here is idempotent: queries, PUT and DELETE of a whole graph), 4xx answers
and refused connections are not.

One file: the HTTP client, the VALUES binding and the two backends answer one contract
(`QueryResult`) and change together; the client is small enough not to need a package.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox

from kg.namespaces import ID
from kg.query.named import (
    NamedQuery,
    QueryError,
    QueryResult,
    internal_query,
    is_answer_column,
    load_query,
    parse_query,
    run_query,
    term_datatype,
    term_text,
)

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
USER_AGENT = "humanitarian-kg (kg push / kg query --endpoint)"

RETRY_STATUSES = frozenset({500, 502, 503, 504})
METADATA_GRAPH = str(ID["graph/push-metadata"])  # kg push's record of what it sent


# --- errors ----------------------------------------------------------------------------------


class RemoteError(Exception):
    """A request to a remote SPARQL store failed; the message is one line."""

    retryable = False


class RemoteConnectionError(RemoteError):
    """No connection: refused, unknown host, network unreachable."""


class RemoteDroppedError(RemoteError):
    """The connection was reset or closed before a full answer came."""

    retryable = True


class RemoteTimeoutError(RemoteError):
    """No answer within the timeout."""

    retryable = True


class RemoteHTTPError(RemoteError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.status in RETRY_STATUSES


class RemoteAuthError(RemoteHTTPError):
    """401 or 403: wrong or missing credentials, or a user without the right."""


# --- the endpoint and its client ------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where a remote store is and how to talk to it.

    `query_url` is the SPARQL query endpoint (Oxigraph server: `…/query`; Virtuoso:
    `…/sparql`); `graph_store_url` the Graph Store Protocol endpoint (Oxigraph server:
    `…/store`; Virtuoso: `…/sparql-graph-crud-auth`), derived from `query_url` for those two
    when not given (`graph_store()`). The password is never printed.
    """

    query_url: str
    graph_store_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    retries: int = 3  # further attempts after the first, for retryable failures
    backoff: float = 0.5  # seconds before the first retry, doubled each time

    def graph_store(self) -> str:
        if self.graph_store_url:
            return self.graph_store_url
        derived = derive_graph_store_url(self.query_url)
        if derived is None:
            raise RemoteError(
                f"{self.query_url}: cannot tell where its Graph Store endpoint is: "
                "give --graph-store URL"
            )
        return derived


def derive_graph_store_url(query_url: str) -> str | None:
    """The Graph Store endpoint beside a query endpoint, for the engines we know.

    Oxigraph server `…/query` → `…/store`; Virtuoso `…/sparql` → `…/sparql-graph-crud-auth`.
    """
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")
    if path.endswith("/query"):
        new = path[: -len("query")] + "store"
    elif path.endswith("/sparql"):
        new = path + "-graph-crud-auth"
    else:
        return None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new, "", ""))


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


class _TolerantBasicAuth(urllib.request.HTTPBasicAuthHandler):
    """Basic auth that steps aside (instead of raising ValueError) for a Digest challenge."""

    def http_error_auth_reqed(self, authreq, host, req, headers):
        try:
            return super().http_error_auth_reqed(authreq, host, req, headers)
        except ValueError:
            return None


class _DigestAuth(urllib.request.HTTPDigestAuthHandler):
    """Digest auth that remembers the server's challenge and sends the answer up front.

    urllib's handler sends every request without credentials first and only answers the 401:
    a PUT then uploads its graph twice, and Virtuoso, which closes the connection on a 401,
    may cut the first upload short (a broken pipe). With the challenge kept from an earlier
    answer (`SparqlClient.authenticate()` gets one with a small GET), each request carries
    its Authorization at once; a 401 to that (a stale nonce) is answered once more. A second
    401 to an answered challenge (a wrong password) is final, instead of urllib's five tries.
    """

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.challenge: dict[str, str] | None = None

    def http_request(self, req):
        if self.challenge is not None and not req.get_header(self.auth_header):
            answer = self.get_authorization(req, self.challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, "Digest " + answer)
                req.kg_preemptive = True
        return req

    https_request = http_request

    def http_error_401(self, req, fp, code, msg, headers):
        if getattr(req, "kg_preemptive", False):
            req.kg_preemptive = False
            req.remove_header(self.auth_header)
            self.challenge = None
        elif req.get_header(self.auth_header):
            return None
        return super().http_error_401(req, fp, code, msg, headers)

    def retry_http_digest_auth(self, req, auth):
        _token, challenge = auth.split(" ", 1)
        self.challenge = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(challenge))
        )
        return super().retry_http_digest_auth(req, auth)


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SparqlClient:
    """SPARQL 1.1 Protocol (queries) and Graph Store Protocol (PUT/DELETE a graph) over HTTP."""

    def __init__(self, endpoint: Endpoint, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self._sleep = sleep
        handlers: list[urllib.request.BaseHandler] = []
        if _is_loopback(endpoint.query_url):
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback to a proxy
        if endpoint.user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            urls = [endpoint.query_url]
            if endpoint.graph_store_url or derive_graph_store_url(endpoint.query_url):
                urls.append(endpoint.graph_store())
            for url in urls:
                passwords.add_password(None, url, endpoint.user, endpoint.password or "")
            self._digest: _DigestAuth | None = _DigestAuth(passwords)
            handlers += [self._digest, _TolerantBasicAuth(passwords)]
        else:
            self._digest = None
        self._opener = urllib.request.build_opener(*handlers)

    # -- queries --

    def query(
        self,
        text: str,
        accept: str = SPARQL_JSON,
        *,
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
    ) -> Response:
        """POST a query (form-encoded, as the protocol allows); the raw answer.

        `default_graphs` / `named_graphs` are the protocol's `default-graph-uri` /
        `named-graph-uri` (a proxy passes on the dataset its client asked for)."""
        fields = [("query", text)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        data = urllib.parse.urlencode(fields).encode("utf-8")
        return self.request(
            "POST",
            self.endpoint.query_url,
            data,
            {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "Accept": accept},
            action="query",
        )

    def select(self, text: str) -> tuple[list[str], list[dict[str, Any]]]:
        """A SELECT query's variables and solutions (pyoxigraph terms; unbound ones absent)."""
        response = self.query(text)
        try:
            data = json.loads(response.body)
            variables = list(data["head"].get("vars", []))
            bindings = data["results"]["bindings"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(
                f"{self.endpoint.query_url}: query: the answer is not SPARQL JSON results "
                f"({response.content_type or 'no content type'}): {exc}"
            ) from None
        rows = [{k: term_from_json(v) for k, v in b.items()} for b in bindings]
        return variables, rows

    def ask(self, text: str) -> bool:
        response = self.query(text)
        try:
            return bool(json.loads(response.body)["boolean"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(
                f"{self.endpoint.query_url}: query: the answer is not a SPARQL JSON boolean: {exc}"
            ) from None

    # -- the Graph Store Protocol --

    def graph_url(self, graph: str) -> str:
        base = self.endpoint.graph_store()
        separator = "&" if "?" in base else "?"
        return base + separator + urllib.parse.urlencode({"graph": graph})

    def put_graph(self, graph: str, data: bytes, content_type: str = N_TRIPLES) -> Response:
        """Replace the graph's content (PUT: idempotent, never appends)."""
        return self.request(
            "PUT",
            self.graph_url(graph),
            data,
            {"Content-Type": content_type + "; charset=utf-8"},
            action=f"PUT graph <{graph}>",
        )

    def authenticate(self) -> None:
        """With credentials, a small GET on the Graph Store so that later PUTs can carry
        their Digest answer up front (see `_DigestAuth`); a no-op without credentials."""
        if self._digest is None or self._digest.challenge is not None:
            return
        try:
            self.request(
                "GET",
                self.graph_url(METADATA_GRAPH),
                None,
                {"Accept": N_TRIPLES},
                action="GET (authenticate)",
            )
        except RemoteHTTPError as exc:
            if isinstance(exc, RemoteAuthError) or exc.status >= 500:
                raise
            # 404 (no such graph) and the like: the credentials were accepted

    def delete_graph(self, graph: str) -> bool:
        """Delete the graph; False when the store did not have it (404)."""
        try:
            self.request(
                "DELETE", self.graph_url(graph), None, {}, action=f"DELETE graph <{graph}>"
            )
        except RemoteHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- one request, with retries --

    def request(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str],
        *,
        action: str,
        idempotent: bool = True,
    ) -> Response:
        """Send one request, retrying retryable failures (when `idempotent`) with back-off."""
        attempts = 1 + (max(0, self.endpoint.retries) if idempotent else 0)
        delay = self.endpoint.backoff
        for attempt in range(1, attempts + 1):
            try:
                return self._send(method, url, data, headers, action)
            except RemoteError as exc:
                if self._digest is not None and not isinstance(exc, RemoteHTTPError):
                    self._digest.challenge = None  # cut short: answer a fresh challenge next
                if not exc.retryable or attempt == attempts:
                    if attempt > 1:
                        raise type(exc)(*_with_attempts(exc, attempt)) from None
                    raise
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str],
        action: str,
    ) -> Response:
        where = _strip_query(url)
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) only)
        req.add_header("User-Agent", USER_AGENT)
        for key, value in headers.items():
            req.add_header(key, value)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise RemoteConnectionError(f"{where}: {action}: not an http(s) URL")
        try:
            with self._opener.open(req, timeout=self.endpoint.timeout) as answer:
                body = answer.read()
                return Response(answer.status, answer.headers.get("Content-Type", ""), body)
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                detail = _error_detail(exc)
            finally:
                exc.close()  # the answer's connection, which nobody reads after this
            message = f"{where}: {action}: HTTP {status} {exc.reason}{detail}"
            if status in (401, 403):
                hint = (
                    "check --user and the password variable"
                    if self.endpoint.user is not None
                    else "the store wants credentials: give --user and --password-env"
                )
                raise RemoteAuthError(f"{message} ({hint})", status) from None
            raise RemoteHTTPError(message, status) from None
        except urllib.error.URLError as exc:
            raise _connection_error(where, action, exc.reason) from None
        except TimeoutError as exc:
            raise _connection_error(where, action, exc) from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise _connection_error(where, action, exc) from None


def _connection_error(where: str, action: str, reason: object) -> RemoteError:
    if isinstance(reason, TimeoutError | socket.timeout):
        return RemoteTimeoutError(f"{where}: {action}: no answer in time (timeout)")
    if isinstance(reason, ConnectionRefusedError):
        return RemoteConnectionError(
            f"{where}: {action}: connection refused (is the store running there?)"
        )
    if isinstance(
        reason,
        ConnectionResetError
        | ConnectionAbortedError
        | BrokenPipeError
        | http.client.RemoteDisconnected
        | http.client.IncompleteRead,
    ):
        return RemoteDroppedError(f"{where}: {action}: connection dropped ({reason})")
    if isinstance(reason, http.client.HTTPException):
        return RemoteDroppedError(f"{where}: {action}: bad HTTP answer ({reason!r})")
    if isinstance(reason, socket.gaierror):
        return RemoteConnectionError(f"{where}: {action}: unknown host ({reason})")
    return RemoteConnectionError(f"{where}: {action}: cannot connect ({reason})")


def _with_attempts(exc: RemoteError, attempts: int) -> tuple[Any, ...]:
    message = f"{exc} (after {attempts} attempts)"
    if isinstance(exc, RemoteHTTPError):
        return (message, exc.status)
    return (message,)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The first meaningful line of an error answer (engines put the SPARQL error there)."""
    try:
        text = exc.read(4096).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - the status is enough
        return ""
    text = re.sub(r"<[^>\n]+>", " ", text)  # some engines answer with HTML
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    # Virtuoso echoes the query after its error line: prefer the line that says "error"
    line = next((x for x in lines if "error" in x.lower()), lines[0] if lines else "")
    if not line:
        return ""
    return ": " + (line[:300] + "…" if len(line) > 300 else line)


def _strip_query(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def term_from_json(value: Mapping[str, Any]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term of SPARQL JSON results (also Virtuoso's older `typed-literal`)."""
    kind = value.get("type")
    text = str(value.get("value", ""))
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_\-]", "_", text) or None)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return ox.Literal(text, language=str(value["xml:lang"]))
        if "datatype" in value:
            return ox.Literal(text, datatype=ox.NamedNode(str(value["datatype"])))
        return ox.Literal(text)
    raise RemoteError(f"unknown term type {kind!r} in SPARQL JSON results")


# --- binding parameters: VALUES blocks --------------------------------------------------------

_IRI_RE = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NAME_TAIL_RE = re.compile(r"[A-Za-z0-9_\-.:%\\]*")
_VAR_RE = re.compile(r"[?$][A-Za-z0-9_]+")
_SELECT_AHEAD_RE = re.compile(r"SELECT\b", re.IGNORECASE)


def _tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of the SPARQL tokens `bind_values` needs: braces, parentheses, keywords
    (`w:WORD`, upper-cased) and variables (`v:name`); comments, strings, IRIs, prefixed
    names and language tags are skipped whole, so a brace or a `?` inside them is no token."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            i = _skip_string(text, i)
        elif c == "<":
            m = _IRI_RE.match(text, i)
            i = m.end() if m else i + 1
        elif c in "?$":
            m = _VAR_RE.match(text, i)
            if m:
                yield i, m.end(), "v:" + text[i + 1 : m.end()]
                i = m.end()
            else:
                i += 1
        elif c in "{}()":
            yield i, i + 1, c
            i += 1
        elif c == ":":  # a prefixed name with the empty prefix
            i = _NAME_TAIL_RE.match(text, i + 1).end()  # type: ignore[union-attr]
        elif c.isalpha() or c == "_":
            m = _WORD_RE.match(text, i)
            end = m.end() if m else i + 1
            if end < n and text[end] == ":":  # a prefixed name: not a keyword
                i = _NAME_TAIL_RE.match(text, end).end()  # type: ignore[union-attr]
                continue
            yield i, end, "w:" + text[i:end].upper()
            i = end
        elif c == "@":  # a language tag
            m = _WORD_RE.match(text, i + 1)
            i = m.end() if m else i + 1
        else:
            i += 1


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    long = text.startswith(quote * 3, i)
    delimiter = quote * 3 if long else quote
    j = i + len(delimiter)
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith(delimiter, j):
            return j + len(delimiter)
        if not long and text[j] in "\r\n":
            break
        j += 1
    raise QueryError("unterminated string in the query")


def values_block(substitutions: Mapping[ox.Variable, Any]) -> str:
    """`VALUES (?a ?b) { (t1 t2) }`, each term in SPARQL/N-Triples syntax with its escapes
    as pyoxigraph writes it (never the user's text as such)."""
    items = sorted(substitutions.items(), key=lambda kv: kv[0].value)
    names = " ".join(str(var) for var, _ in items)
    terms = " ".join(_sparql_term(term) for _, term in items)
    return f"VALUES ({names}) {{ ({terms}) }}"


def _sparql_term(term: Any) -> str:
    # A string is written as a simple literal (pyoxigraph's str() of an xsd:string literal):
    # Virtuoso 7.2 fails to join a typed "x"^^xsd:string from one VALUES block with the same
    # term from another. Its STR() of a simple literal turns non-ASCII characters into "?",
    # so the named queries never take STR() of a string parameter (see kg.query.named).
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)  # N-Triples syntax: quotes, backslashes and newlines escaped
    raise QueryError(f"cannot bind {term!r} in a VALUES block (IRIs and literals only)")


@dataclass(eq=False)
class _Group:
    kind: str  # query | group | exists | subselect | data | template
    insert_at: int
    mentions: set[str] = field(default_factory=set)
    where: _Group | None = None  # of a query or sub-select: its WHERE group
    depth: int = 0  # parentheses open where the group starts


def bind_values(text: str, substitutions: Mapping[ox.Variable, Any]) -> str:
    """The query with its parameters bound by VALUES blocks, for an endpoint that cannot
    take pyoxigraph's substitutions.

    pyoxigraph's substitutions bind a variable everywhere in the query, but SPARQL evaluates
    groups and sub-selects bottom-up: one VALUES block in the outer WHERE would not reach a
    `{ FILTER(… ?param_x …) }` in a UNION branch or the WHERE of a sub-select. So each group
    graph pattern that uses a parameter itself (in a filter, a BIND or a triple pattern,
    counting the EXISTS blocks of its filters) opens with a VALUES block of the parameters
    it uses: the WHERE of the query or of a sub-select, an OPTIONAL, a UNION branch, a
    GRAPH or nested group; the WHERE of a (sub-)select also for an expression of its
    projection or HAVING, but not for a parameter it only projects or groups by (the groups
    that use it bind it; two VALUES on one path are a join Virtuoso 7.2 gets wrong). EXISTS
    blocks get none: they see the bindings of the group they filter (SPARQL's substitution),
    and extra VALUES there trip Virtuoso's compiler. Data
    blocks (VALUES … { … }) and CONSTRUCT templates are left alone. No parameters: the text
    unchanged. Unbound (not given) parameters are simply absent.
    """
    if not substitutions:
        return text
    by_name = {var.value: term for var, term in substitutions.items()}
    groups: list[_Group] = []
    pending_values = False  # saw VALUES: the next `{` opens a data block
    previous = ""
    depth = 0  # parentheses open
    stack: list[_Group] = []
    # the expressions of a SELECT's projection and modifiers (HAVING…) bind in its WHERE
    top = _Group("query", 0)
    for _start, end, kind in _tokens(text):
        if kind == "{":
            if stack and stack[-1].kind == "data":
                raise QueryError("unexpected `{` in a VALUES data block")
            if pending_values:
                group = _Group("data", end)
                pending_values = False
            elif previous == "w:CONSTRUCT":
                group = _Group("template", end)
            elif previous == "w:EXISTS":
                group = _Group("exists", end)
            elif _SELECT_AHEAD_RE.match(_skip_space(text, end)[1]):
                group = _Group("subselect", end)
            else:
                group = _Group("group", end)
                parent = stack[-1] if stack else top
                if parent.kind in ("subselect", "query") and parent.where is None:
                    parent.where = group  # the WHERE of that SELECT
                    group.mentions |= parent.mentions
            group.depth = depth
            stack.append(group)
            groups.append(group)
        elif kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
        elif kind == "}":
            if not stack:
                raise QueryError("unbalanced `}` in the query")
            stack.pop()
        elif kind == "w:VALUES":
            pending_values = True
        elif kind.startswith("v:") and kind[2:] in by_name:
            owner = next((g for g in reversed(stack) if g.kind != "exists"), top)
            in_template = owner.kind == "template"
            if in_template:  # CONSTRUCT's template: bound in the query's WHERE
                owner = top
            if owner.kind in ("subselect", "query"):
                # In an expression (or a template) it must be bound in the WHERE. Projected or
                # grouped by as it is, the groups that use it bind it: VALUES in the WHERE as
                # well would be a second, redundant join, which Virtuoso 7.2 gets wrong (no
                # rows) when a UNION's branches bind it too.
                if in_template or depth > owner.depth:
                    owner.mentions.add(kind[2:])
                    if owner.where is not None:
                        owner.where.mentions.add(kind[2:])
            elif owner.kind == "group":
                owner.mentions.add(kind[2:])
        previous = kind
    if stack:
        raise QueryError("unbalanced `{` in the query")
    inserts = []
    for group in groups:
        if group.kind == "group" and group.mentions:
            block = values_block({ox.Variable(v): by_name[v] for v in group.mentions})
            inserts.append((group.insert_at, " " + block + " "))
    out, last = [], 0
    for position, block in sorted(inserts):
        out.append(text[last:position])
        out.append(block)
        last = position
    out.append(text[last:])
    return "".join(out)


def _skip_space(text: str, i: int) -> tuple[int, str]:
    """The position of the next significant character after `i` (skipping comments)."""
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text[i] == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        else:
            break
    return i, text[i : i + 16]


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first of these keywords in the query."""
    for _start, _end, kind in _tokens(text):
        if kind in ("w:SELECT", "w:ASK", "w:CONSTRUCT", "w:DESCRIBE"):
            return kind[2:]
    raise QueryError("not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


# --- backends --------------------------------------------------------------------------------


@runtime_checkable
class QueryBackend(Protocol):
    """Runs named queries (or SPARQL text) with bound parameters, wherever the data is."""

    @property
    def label(self) -> str:
        """Where queries go, for messages: a store path or an endpoint URL."""
        ...

    def run(self, query: NamedQuery | str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Like `kg.query.named.run_query`: the same columns and rows whatever the backend."""
        ...

    def close(self) -> None: ...


def _as_named_query(query: NamedQuery | str) -> NamedQuery:
    if isinstance(query, NamedQuery):
        return query
    is_text = any(c in query for c in "{ \n\t")
    return parse_query(query) if is_text and not query.endswith(".rq") else load_query(query)


class EmbeddedBackend:
    """The embedded Oxigraph store (`kg.query.named.run_query`)."""

    def __init__(self, store: ox.Store | Path | str) -> None:
        if isinstance(store, ox.Store):
            self.store, self._label = store, "embedded store"
        else:
            from kg.store import (
                open_store,  # kg.store imports kg.query.named: keep this module light
            )

            self.store, self._label = open_store(Path(store)), str(store)

    @property
    def label(self) -> str:
        return self._label

    def run(self, query: NamedQuery | str, params: Mapping[str, Any] | None = None) -> QueryResult:
        return run_query(self.store, _as_named_query(query), dict(params or {}))

    def close(self) -> None:
        pass


class RemoteBackend:
    """A remote SPARQL endpoint; parameters bound with VALUES (see `bind_values`)."""

    def __init__(self, client: SparqlClient | Endpoint | str) -> None:
        if isinstance(client, str):
            client = Endpoint(client)
        if isinstance(client, Endpoint):
            client = SparqlClient(client)
        self.client = client

    @property
    def label(self) -> str:
        return self.client.endpoint.query_url

    def prepare(self, query: NamedQuery | str, params: Mapping[str, Any] | None = None) -> str:
        """The query text that is sent: parameters checked as `run_query` does, then bound."""
        named = _as_named_query(query)
        return bind_values(named.text, named.substitutions(dict(params or {})))

    def run(self, query: NamedQuery | str, params: Mapping[str, Any] | None = None) -> QueryResult:
        text = self.prepare(query, params)
        form = query_form(text)
        if form == "ASK":
            return QueryResult.from_boolean(self.client.ask(text))
        if form in ("CONSTRUCT", "DESCRIBE"):
            response = self.client.query(text, accept=N_TRIPLES)
            try:
                triples = list(ox.parse(response.body, ox.RdfFormat.N_TRIPLES))
            except SyntaxError as exc:
                raise RemoteError(
                    f"{self.label}: query: the answer is not N-Triples: {exc}"
                ) from None
            return QueryResult.from_triples(triples)
        variables, solutions = self.client.select(text)
        keep = [v for v in variables if is_answer_column(v)]
        rows = [tuple(term_text(s.get(v)) for v in keep) for s in solutions]
        types = [tuple(term_datatype(s.get(v)) for v in keep) for s in solutions]
        return QueryResult(keep, rows, types)

    def raw(
        self,
        text: str,
        accept: str = SPARQL_JSON,
        *,
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
    ) -> Response:
        """Any SPARQL query as is, answer unparsed (for a proxying HTTP endpoint,
        kg.server.proxy), with the dataset of the protocol if one is given."""
        return self.client.query(
            text, accept=accept, default_graphs=default_graphs, named_graphs=named_graphs
        )

    def union_default_graph(self) -> bool | None:
        """Is the endpoint's default graph the union of its named graphs?

        True or False when the store holds data in named graphs; None when it is empty.
        """
        _vars, rows = self.client.select(internal_query("any-named-quad"))
        if not rows:
            return None
        row = rows[0]
        text = bind_values(
            internal_query("in-default-graph"),
            {
                ox.Variable(k): row[k]
                for k in ("s", "p", "o")
                if not isinstance(row[k], ox.BlankNode)
            },
        )
        return self.client.ask(text)

    def close(self) -> None:
        pass


def open_backend(
    endpoint: str | Endpoint | None = None, store: Path | str | None = None
) -> QueryBackend:
    """The remote backend for `endpoint` (a URL or an `Endpoint`), else the embedded store."""
    if endpoint is not None:
        return RemoteBackend(endpoint if isinstance(endpoint, Endpoint) else Endpoint(endpoint))
    from kg.store import DEFAULT_STORE

    return EmbeddedBackend(store if store is not None else DEFAULT_STORE)


__all__ = [
    "EmbeddedBackend",
    "Endpoint",
    "QueryBackend",
    "RemoteAuthError",
    "RemoteBackend",
    "RemoteConnectionError",
    "RemoteDroppedError",
    "RemoteError",
    "RemoteHTTPError",
    "RemoteTimeoutError",
    "Response",
    "SparqlClient",
    "bind_values",
    "derive_graph_store_url",
    "open_backend",
    "query_form",
    "term_from_json",
    "values_block",
]
