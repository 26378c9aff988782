"""Elasticsearch stand-in for offline tests (not Elasticsearch).

An in-memory, single-node server that answers like Elasticsearch 8 for the APIs the examples
and the official clients use, faithfully enough that the official clients (Python
elasticsearch 7.17 and 8.x, JavaScript @elastic/elasticsearch 8.x) accept it:

  GET|HEAD /                           cluster info: version 8.15.3, build_flavor default, the
                                       tagline; every response has X-Elastic-Product
  GET  /_cluster/health                {"status": "green"|"yellow", ...} (yellow once an index
                                       exists: its replica is unassigned on one node)
  PUT  /<index>                        create an index (settings/mappings accepted, not used)
  HEAD|GET|DELETE /<index>             index exists / info / delete
  PUT|POST /<index>/_doc/<id>          index (create or replace) a document; ?op_type=create
  POST /<index>/_doc                   index with a generated id
  PUT|POST /<index>/_create/<id>       create only (409 if it exists)
  GET|HEAD /<index>/_doc/<id>          get / exists;  GET /<index>/_source/<id>
  DELETE /<index>/_doc/<id>            delete
  GET|POST [/<indices>]/_search        query DSL below, from/size (body or query string), sort,
                                       _source, q= (query string over every field)
  GET|POST [/<indices>]/_count         {"count": n} for a query
  GET|POST [/<indices>]/_refresh

<indices> is a comma-separated list of names or wildcard patterns (or _all). Queries:
match_all, match_none, match (operator or|and), multi_match (fields with wildcards such as
"*" and boosts such as "title^2"; types best_fields and most_fields), bool (must, filter,
should with minimum_should_match, must_not), term, terms, ids, range, exists, constant_score,
query_string and simple_query_string (any word, no syntax). Other query types and search
options are a 400 naming what the stand-in does not implement rather than a different answer;
tuning options of the queries above (fuzziness, analyzer, tie_breaker...) are accepted and
ignored.

Text is matched as Elasticsearch's standard analyzer does for plain words: lower-cased word
tokens; a string field "f" also has the exact-value subfield "f.keyword", as dynamic mapping
gives it. Scores are the number of query words a field holds (not BM25), so the order of
hits is plausible, not Elasticsearch's. Writes are visible to search at once (a refresh is
accepted and changes nothing); nothing is persisted.

Media types as Elasticsearch 8 has them: bodies must be JSON (application/json or
application/vnd.elasticsearch+json; else 406); a compatible-with version in Accept or
Content-Type must be 7 or 8 (else 400 media_type_header_exception, what a version 9 client
gets from a real 8.x server) and the two must agree; responses are application/json, or the
vnd.elasticsearch+json type with the version the request's Accept asked for.
"""

import base64
import fnmatch
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

VERSION = "8.15.3"
LUCENE_VERSION = "9.11.1"
CLUSTER_NAME = "es-standin"
CLUSTER_UUID = uuid.uuid4().hex[:22]
NODE_NAME = "es-standin"
TOKEN = re.compile(r"\w+", re.UNICODE)
# A single-node index as Elasticsearch 8 makes it: one primary, one replica that cannot be
# assigned, so writes report {"total": 2, "successful": 1} and health is yellow.
WRITE_SHARDS = {"total": 2, "successful": 1, "failed": 0}
SEARCH_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
JSON_TYPES = ("application/json", "application/vnd.elasticsearch+json")
INVALID_INDEX_CHARS = set('\\/*?"<>| ,#:')


class EsError(Exception):
    """An Elasticsearch error response: status, type and reason (plus extra fields)."""

    def __init__(self, status, kind, reason, **extra):
        super().__init__(reason)
        self.status = status
        self.body = {"type": kind, "reason": reason, **extra}

    def payload(self):
        return {"error": {"root_cause": [self.body], **self.body}, "status": self.status}


class PlainError(Exception):
    """The errors Elasticsearch reports as a bare string: {"error": "...", "status": N}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status

    def payload(self):
        return {"error": str(self), "status": self.status}


def index_not_found(name):
    return EsError(404, "index_not_found_exception", "no such index [%s]" % name,
                   **{"resource.type": "index_or_alias", "resource.id": name,
                      "index_uuid": "_na_", "index": name})


class Index:
    def __init__(self, name, settings=None):
        self.name = name
        self.uuid = base64.urlsafe_b64encode(os.urandom(16)).decode()[:22]
        self.created = int(time.time() * 1000)
        self.settings = settings or {}
        self.docs = {}        # id -> {"source", "version", "seq_no"}
        self.tombstones = {}  # id -> version of the deleted document
        self.seq_no = -1

    def next_seq_no(self):
        self.seq_no += 1
        return self.seq_no


INDICES = {}
LOCK = threading.Lock()


def validate_index_name(name):
    reason = None
    if name != name.lower():
        reason = "must be lowercase"
    elif name in (".", ".."):
        reason = "must not be '.' or '..'"
    elif name[:1] in ("_", "-", "+"):
        reason = "must not start with '_', '-', or '+'"
    elif INVALID_INDEX_CHARS & set(name):
        reason = "must not contain the following characters [%s]" % ", ".join(sorted(INVALID_INDEX_CHARS))
    elif len(name.encode()) > 255:
        reason = "index name is too long"
    if reason:
        raise EsError(400, "invalid_index_name_exception",
                      "Invalid index name [%s], %s" % (name, reason),
                      index_uuid="_na_", index=name)


def resolve(expression):
    """Indices an index expression names (comma list, wildcards, _all); missing names 404."""
    names = []
    for part in (expression or "_all").split(","):
        if part in ("_all", "*", ""):
            names.extend(sorted(INDICES))
        elif "*" in part or "?" in part:
            names.extend(sorted(n for n in INDICES if fnmatch.fnmatchcase(n, part)))
        elif part in INDICES:
            names.append(part)
        else:
            raise index_not_found(part)
    seen = set()
    return [INDICES[n] for n in names if not (n in seen or seen.add(n))]


# --- documents as fields ---------------------------------------------------------------

def flatten(source, prefix=""):
    """{dotted field name: [leaf values]} of a document; arrays give several values."""
    fields = {}

    def add(name, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                add(name + "." + key if name else key, inner)
        elif isinstance(value, list):
            for item in value:
                add(name, item)
        elif value is not None:
            fields.setdefault(name, []).append(value)

    add(prefix, source)
    return fields


def words(value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    return TOKEN.findall(str(value).lower())


def field_values(fields, name):
    """Values of `name`, with "f.keyword" meaning the exact strings of a string field "f"."""
    if name in fields:
        return fields[name], False
    if name.endswith(".keyword"):
        values = [v for v in fields.get(name[: -len(".keyword")], []) if isinstance(v, str)]
        return values, True
    return [], False


def expand_fields(fields, patterns):
    """(name, boost) of each document field `patterns` (wildcards, "name^boost") selects."""
    selected = []
    for pattern in patterns:
        name, _, boost = pattern.partition("^")
        boost = float(boost) if boost else 1.0
        if "*" in name or "?" in name:
            selected.extend((f, boost) for f in sorted(fields) if fnmatch.fnmatchcase(f, name))
        else:
            selected.append((name, boost))
    return selected


def text_score(fields, name, terms, operator):
    """Score of a match of query words `terms` on field `name` (0.0 when it does not match)."""
    values, exact = field_values(fields, name)
    if exact:
        text = " ".join(terms)
        return 1.0 if any(v == text for v in values) else 0.0
    present = set()
    for value in values:
        present.update(words(value))
    matched = [t for t in set(terms) if t in present]
    if not matched or (operator == "and" and len(matched) < len(set(terms))):
        return 0.0
    return float(len(matched))


def scalar_equal(value, wanted):
    if isinstance(value, bool) or isinstance(wanted, bool):
        return str(value).lower() == str(wanted).lower()
    if isinstance(value, (int, float)) and not isinstance(wanted, (dict, list)):
        try:
            return float(value) == float(wanted)
        except (TypeError, ValueError):
            return False
    return False


def term_matches(fields, name, wanted):
    values, exact = field_values(fields, name)
    for value in values:
        if exact or not isinstance(value, str):
            if value == wanted or scalar_equal(value, wanted):
                return True
        elif str(wanted) in words(value) and str(wanted) == str(wanted).lower():
            return True
    return False


def single_entry(clause, kind):
    if not isinstance(clause, dict) or len(clause) != 1:
        raise EsError(400, "parsing_exception", "[%s] query malformed, must start with a field name" % kind)
    return next(iter(clause.items()))


def unsupported(what):
    return EsError(400, "parsing_exception", "es-standin does not implement %s" % what)


def score(query, doc_id, source, fields):
    """Score of the document for `query`, or None when it does not match."""
    if not isinstance(query, dict) or len(query) != 1:
        raise EsError(400, "parsing_exception", "query malformed, expected one query type")
    kind, spec = next(iter(query.items()))

    if kind == "match_all":
        return float(spec.get("boost", 1.0)) if isinstance(spec, dict) else 1.0
    if kind == "match_none":
        return None
    if kind == "match":
        name, value = single_entry(spec, kind)
        operator = "or"
        if isinstance(value, dict):
            operator = str(value.get("operator", "or")).lower()
            value = value.get("query", "")
        s = text_score(fields, name, words(value), operator)
        return s or None
    if kind == "multi_match":
        if not isinstance(spec, dict) or "query" not in spec:
            raise EsError(400, "parsing_exception", "No text specified for multi_match query")
        kind_of = spec.get("type", "best_fields")
        if kind_of not in ("best_fields", "most_fields"):
            raise unsupported("multi_match type [%s]" % kind_of)
        terms = words(spec["query"])
        operator = str(spec.get("operator", "or")).lower()
        # No fields means index.query.default_field, which is "*": every field.
        scores = [text_score(fields, name, terms, operator) * boost
                  for name, boost in expand_fields(fields, spec.get("fields") or ["*"])]
        scores = [s for s in scores if s > 0]
        if not scores:
            return None
        return sum(scores) if kind_of == "most_fields" else max(scores)
    if kind in ("query_string", "simple_query_string"):
        terms = words(spec.get("query", "")) if isinstance(spec, dict) else []
        scores = [text_score(fields, name, terms, "or") * boost
                  for name, boost in expand_fields(fields, spec.get("fields") or ["*"])]
        best = max(scores, default=0.0)
        return best or None
    if kind == "term":
        name, value = single_entry(spec, kind)
        if isinstance(value, dict):
            value = value.get("value")
        return 1.0 if term_matches(fields, name, value) else None
    if kind == "terms":
        name, values = single_entry({k: v for k, v in spec.items() if k != "boost"}, kind)
        return 1.0 if any(term_matches(fields, name, v) for v in values) else None
    if kind == "ids":
        return 1.0 if doc_id in [str(v) for v in spec.get("values", [])] else None
    if kind == "exists":
        return 1.0 if field_values(fields, spec.get("field", ""))[0] else None
    if kind == "range":
        name, bounds = single_entry(spec, kind)
        for value in field_values(fields, name)[0]:
            if all(in_range(value, op, limit) for op, limit in bounds.items()
                   if op in ("gt", "gte", "lt", "lte")):
                return 1.0
        return None
    if kind == "constant_score":
        inner = spec.get("filter")
        return float(spec.get("boost", 1.0)) if score(inner, doc_id, source, fields) is not None else None
    if kind == "bool":
        return bool_score(spec, doc_id, source, fields)
    raise unsupported("query [%s]" % kind)


def in_range(value, op, limit):
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value, limit = float(value), float(limit)
        else:
            value, limit = str(value), str(limit)
    except (TypeError, ValueError):
        return False
    return {"gt": value > limit, "gte": value >= limit,
            "lt": value < limit, "lte": value <= limit}[op]


def clauses(spec, key):
    value = spec.get(key, [])
    return value if isinstance(value, list) else [value]


def bool_score(spec, doc_id, source, fields):
    total = 0.0
    for clause in clauses(spec, "must"):
        s = score(clause, doc_id, source, fields)
        if s is None:
            return None
        total += s
    for clause in clauses(spec, "filter"):
        if score(clause, doc_id, source, fields) is None:
            return None
    for clause in clauses(spec, "must_not"):
        if score(clause, doc_id, source, fields) is not None:
            return None
    should = clauses(spec, "should")
    # Elasticsearch: with no must/filter clause at least one should clause must match.
    default_minimum = 1 if should and not spec.get("must") and not spec.get("filter") else 0
    minimum = spec.get("minimum_should_match", default_minimum)
    if isinstance(minimum, str):
        minimum = (int(minimum[:-1]) * len(should) // 100) if minimum.endswith("%") else int(minimum)
    matched = 0
    for clause in should:
        s = score(clause, doc_id, source, fields)
        if s is not None:
            matched += 1
            total += s
    if matched < minimum:
        return None
    return total


# --- search -----------------------------------------------------------------------------

SEARCH_KEYS = {"query", "from", "size", "sort", "_source", "track_total_hits", "timeout",
               "version", "seq_no_primary_term"}


def sort_spec(sort):
    """[(field, descending)] of a search's sort."""
    if sort is None:
        return []
    out = []
    for entry in sort if isinstance(sort, list) else [sort]:
        if isinstance(entry, str):
            name, order = entry, ("desc" if entry == "_score" else "asc")
            if ":" in entry:
                name, order = entry.split(":", 1)
        else:
            name, order = single_entry(entry, "sort")
            if isinstance(order, dict):
                order = order.get("order", "desc" if name == "_score" else "asc")
        out.append((name, str(order).lower() == "desc"))
    return out


def sort_value(hit, fields, name):
    if name == "_score":
        return hit["_score"]
    if name == "_doc":
        return hit["_seq_no"]
    values, exact = field_values(fields, name)
    if any(isinstance(v, str) for v in values) and not exact:
        raise EsError(400, "illegal_argument_exception",
                      "Text fields are not optimised for operations that require per-document "
                      "field data like aggregations and sorting, so these operations are disabled "
                      "by default. Please use a keyword field instead. Alternatively, set "
                      "fielddata=true on [%s] in order to load field data by uninverting the "
                      "inverted index. Note that this can use significant memory." % name)
    return min(values) if values else None


def filter_source(source, spec):
    """The _source a hit shows: all of it, none (false), or the fields matching patterns."""
    if spec is None or spec is True:
        return source
    if spec is False:
        return None
    patterns = [spec] if isinstance(spec, str) else spec if isinstance(spec, list) else spec.get("includes", [])
    out = {}
    for name, values in flatten(source).items():
        if any(fnmatch.fnmatchcase(name, p) or name.startswith(p + ".") for p in patterns):
            node, parts = out, name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = values[0] if len(values) == 1 else values
    return out


def run_query(indices, query):
    """[(index, id, doc, fields, score)] of every document `query` matches."""
    found = []
    for index in indices:
        for doc_id, doc in index.docs.items():
            fields = flatten(doc["source"])
            s = score(query, doc_id, doc["source"], fields)
            if s is not None:
                found.append((index, doc_id, doc, fields, s))
    return found


def int_param(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EsError(400, "illegal_argument_exception", "Failed to parse int parameter [%s] with value [%s]" % (name, value))


def search(indices, body, params):
    body = body or {}
    unknown = sorted(set(body) - SEARCH_KEYS)
    if unknown:
        raise unsupported("search body key [%s]" % unknown[0])
    if "q" in params:
        query = {"query_string": {"query": params["q"]}}
    else:
        query = body.get("query", {"match_all": {}})
    start = int_param(params.get("from", body.get("from", 0)), "from")
    size = int_param(params.get("size", body.get("size", 10)), "size")
    order = sort_spec(body.get("sort", params.get("sort")))
    hits = []
    for index, doc_id, doc, fields, s in run_query(indices, query):
        hits.append(({"_index": index.name, "_id": doc_id, "_score": s, "_seq_no": doc["seq_no"]},
                     doc, fields))
    if order:
        for name, descending in reversed(order):
            keyed = [(sort_value(h, f, name), (h, d, f)) for h, d, f in hits]
            present = sorted((k for k in keyed if k[0] is not None), key=lambda k: k[0], reverse=descending)
            hits = [entry for _, entry in present] + [entry for v, entry in keyed if v is None]
    else:
        hits.sort(key=lambda e: (-e[0]["_score"], e[0]["_index"], e[0]["_seq_no"]))
    total = len(hits)
    page = hits[start:start + size]
    source_spec = body.get("_source", params.get("_source"))
    if isinstance(source_spec, str) and source_spec in ("true", "false"):
        source_spec = source_spec == "true"
    out = []
    for hit, doc, fields in page:
        entry = {"_index": hit["_index"], "_id": hit["_id"],
                 "_score": None if order else hit["_score"]}
        shown = filter_source(doc["source"], source_spec)
        if shown is not None:
            entry["_source"] = shown
        if order:
            entry["sort"] = [sort_value(hit, fields, name) for name, _ in order]
        out.append(entry)
    return {
        "took": 1,
        "timed_out": False,
        "_shards": dict(SEARCH_SHARDS, total=max(len(indices), 1)),
        "hits": {
            "total": {"value": total, "relation": "eq"},
            "max_score": None if order or not hits else max(h["_score"] for h, _, _ in hits),
            "hits": out,
        },
    }


# --- HTTP -------------------------------------------------------------------------------

def parse_media_type(value):
    """(type, {param: value}) of one media type, lower-cased; (None, {}) when absent."""
    if not value:
        return None, {}
    kind, _, rest = value.partition(";")
    params = {}
    for part in rest.split(";"):
        key, _, val = part.partition("=")
        if key.strip():
            params[key.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), params


def compatible_version(header, value):
    """The compatible-with version a vnd.elasticsearch media type asks for (None if none)."""
    kind, params = parse_media_type(value)
    if kind is None or not kind.startswith("application/vnd.elasticsearch+") or "compatible-with" not in params:
        return None
    version = params["compatible-with"]
    if version not in ("7", "8"):
        raise EsError(400, "media_type_header_exception",
                      "Invalid media-type value on headers [%s]" % header,
                      caused_by={"type": "status_exception",
                                 "reason": "%s version must be either version 8 or 7, but found %s. %s=%s"
                                 % (header, version, header, value)})
    return version


class Handler(BaseHTTPRequestHandler):
    server_version = "es-standin/" + VERSION
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("es-standin: " + (fmt % args) + "\n")

    def reply(self, status, payload=None):
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", self.response_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
            return raw
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def negotiate(self, raw):
        """Checks the media types as Elasticsearch 8 does; returns the parsed JSON body."""
        accept = self.headers.get("Accept", "")
        content_type = self.headers.get("Content-Type")
        # Clients send several types in Accept ("...compatible-with=8,text/plain"): the
        # vnd.elasticsearch one, if any, carries the version.
        accept_version = None
        for part in accept.split(","):
            accept_version = compatible_version("Accept", part.strip()) or accept_version
        if accept_version:
            self.response_type = "application/vnd.elasticsearch+json;compatible-with=" + accept_version
        if not raw.strip():
            return None
        if content_type is None:
            raise PlainError(406, "Content-Type header is missing")
        kind, _ = parse_media_type(content_type)
        if kind not in JSON_TYPES:
            raise PlainError(406, "Content-Type header [%s] is not supported" % content_type)
        content_version = compatible_version("Content-Type", content_type)
        if accept_version and content_version and accept_version != content_version:
            raise EsError(400, "media_type_header_exception",
                          "Invalid media-type value on headers [Accept, Content-Type]",
                          caused_by={"type": "status_exception",
                                     "reason": "Content-Type and Accept version requests have to match. "
                                     "Accept=%s Content-Type=%s" % (accept, content_type)})
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise EsError(400, "x_content_parse_exception", "Failed to parse JSON: %s" % exc)
        if not isinstance(parsed, dict):
            raise EsError(400, "parse_exception", "request body must be a JSON object")
        return parsed

    def handle_request(self):
        self.response_type = "application/json"
        try:
            raw = self.read_body()
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.split("/") if p]
            params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            body = self.negotiate(raw)
            status, payload = self.route(self.command, parts, params, body, url.path)
        except (EsError, PlainError) as err:
            status, payload = err.status, err.payload()
        except Exception as exc:  # a bug here: say so like a server error, keep serving
            sys.stderr.write("es-standin: %s %s failed: %r\n" % (self.command, self.path, exc))
            status, payload = 500, EsError(500, "exception", repr(exc)).payload()
        self.reply(status, payload)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_request

    # --- routing ------------------------------------------------------------------------

    def route(self, method, parts, params, body, path):
        routes = self.routes(parts)
        for methods, handler in routes:
            if method in methods:
                with LOCK:
                    return handler(method, parts, params, body)
        if routes:
            allowed = sorted({m for methods, _ in routes for m in methods})
            raise PlainError(405, "Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]"
                             % (path, method, ", ".join(allowed)))
        raise PlainError(400, "no handler found for uri [%s] and method [%s]" % (path, method))

    def routes(self, parts):
        n = len(parts)
        if n == 0:
            return [(("GET", "HEAD"), self.info)]
        head = parts[0]
        if parts == ["_cluster", "health"]:
            return [(("GET",), self.health)]
        if n == 1 and head in ("_search", "_count", "_refresh"):
            return [(("GET", "POST"), getattr(self, head[1:]))]
        if head.startswith("_"):
            return []
        if n == 1:
            return [(("PUT",), self.create_index), (("GET", "HEAD"), self.get_index),
                    (("DELETE",), self.delete_index)]
        if n == 2 and parts[1] in ("_search", "_count", "_refresh"):
            return [(("GET", "POST"), getattr(self, parts[1][1:]))]
        if n == 2 and parts[1] == "_doc":
            return [(("POST",), self.index_doc)]
        if n == 3 and parts[1] == "_doc":
            return [(("PUT", "POST"), self.index_doc), (("GET", "HEAD"), self.get_doc),
                    (("DELETE",), self.delete_doc)]
        if n == 3 and parts[1] == "_create":
            return [(("PUT", "POST"), self.index_doc)]
        if n == 3 and parts[1] == "_source":
            return [(("GET", "HEAD"), self.get_doc)]
        return []

    # --- cluster ------------------------------------------------------------------------

    def info(self, *_):
        return 200, {
            "name": NODE_NAME,
            "cluster_name": CLUSTER_NAME,
            "cluster_uuid": CLUSTER_UUID,
            "version": {
                "number": VERSION,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "0" * 40,
                "build_date": "2024-10-09T22:08:00.328917561Z",
                "build_snapshot": False,
                "lucene_version": LUCENE_VERSION,
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }

    def health(self, *_):
        primaries = len(INDICES)
        return 200, {
            "cluster_name": CLUSTER_NAME,
            "status": "yellow" if primaries else "green",
            "timed_out": False,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "active_primary_shards": primaries,
            "active_shards": primaries,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": primaries,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 if not primaries else 50.0,
        }

    # --- indices ------------------------------------------------------------------------

    def create_index(self, method, parts, params, body):
        name = parts[0]
        validate_index_name(name)
        if name in INDICES:
            raise EsError(400, "resource_already_exists_exception",
                          "index [%s/%s] already exists" % (name, INDICES[name].uuid),
                          index_uuid=INDICES[name].uuid, index=name)
        INDICES[name] = Index(name, (body or {}).get("settings"))
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def get_index(self, method, parts, params, body):
        found = resolve(parts[0])
        return 200, {i.name: {"aliases": {}, "mappings": {}, "settings": {"index": {
            "number_of_shards": "1", "number_of_replicas": "1", "uuid": i.uuid,
            "creation_date": str(i.created), "provided_name": i.name}}} for i in found}

    def delete_index(self, method, parts, params, body):
        for index in resolve(parts[0]):
            del INDICES[index.name]
        return 200, {"acknowledged": True}

    def refresh(self, method, parts, params, body):
        found = resolve(parts[0] if len(parts) == 2 else None)
        return 200, {"_shards": {"total": 2 * len(found), "successful": len(found), "failed": 0}}

    # --- documents ----------------------------------------------------------------------

    def write_result(self, index, doc_id, version, seq_no, result, params):
        out = {"_index": index.name, "_id": doc_id, "_version": version, "result": result,
               "_shards": WRITE_SHARDS, "_seq_no": seq_no, "_primary_term": 1}
        if params.get("refresh") in ("", "true"):
            out["forced_refresh"] = True
        return out

    def index_doc(self, method, parts, params, body):
        name = parts[0]
        create = parts[1] == "_create" or params.get("op_type") == "create"
        doc_id = parts[2] if len(parts) == 3 else \
            base64.urlsafe_b64encode(os.urandom(15)).decode()
        if not isinstance(body, dict):
            raise EsError(400, "parse_exception", "request body is required")
        validate_index_name(name)
        index = INDICES.get(name) or INDICES.setdefault(name, Index(name))
        current = index.docs.get(doc_id)
        if create and current is not None:
            raise EsError(409, "version_conflict_engine_exception",
                          "[%s]: version conflict, document already exists (current version [%d])"
                          % (doc_id, current["version"]),
                          index_uuid=index.uuid, shard="0", index=name)
        previous = current["version"] if current else index.tombstones.pop(doc_id, 0)
        version = previous + 1
        seq_no = index.next_seq_no()
        index.docs[doc_id] = {"source": body, "version": version, "seq_no": seq_no}
        result = "updated" if current else "created"
        return (200 if current else 201), self.write_result(index, doc_id, version, seq_no, result, params)

    def get_doc(self, method, parts, params, body):
        name, doc_id = parts[0], parts[2]
        if name not in INDICES:
            raise index_not_found(name)
        doc = INDICES[name].docs.get(doc_id)
        if parts[1] == "_source":
            if doc is None:
                raise EsError(404, "resource_not_found_exception",
                              "Document not found [%s]/[%s]" % (name, doc_id))
            return 200, doc["source"]
        if doc is None:
            return 404, {"_index": name, "_id": doc_id, "found": False}
        out = {"_index": name, "_id": doc_id, "_version": doc["version"],
               "_seq_no": doc["seq_no"], "_primary_term": 1, "found": True}
        shown = filter_source(doc["source"], {"true": True, "false": False}.get(params.get("_source"), True))
        if shown is not None:
            out["_source"] = shown
        return 200, out

    def delete_doc(self, method, parts, params, body):
        name, doc_id = parts[0], parts[2]
        if name not in INDICES:
            raise index_not_found(name)
        index = INDICES[name]
        doc = index.docs.pop(doc_id, None)
        seq_no = index.next_seq_no()
        if doc is None:
            # A delete of a missing document still records a tombstone with a new version.
            version = index.tombstones.get(doc_id, 0) + 1
            index.tombstones[doc_id] = version
            return 404, self.write_result(index, doc_id, version, seq_no, "not_found", params)
        index.tombstones[doc_id] = doc["version"] + 1
        return 200, self.write_result(index, doc_id, doc["version"] + 1, seq_no, "deleted", params)

    # --- search -------------------------------------------------------------------------

    def search(self, method, parts, params, body):
        return 200, search(resolve(parts[0] if len(parts) == 2 else None), body, params)

    def count(self, method, parts, params, body):
        indices = resolve(parts[0] if len(parts) == 2 else None)
        body = body or {}
        unknown = sorted(set(body) - {"query"})
        if unknown:
            raise unsupported("count body key [%s]" % unknown[0])
        query = {"query_string": {"query": params["q"]}} if "q" in params \
            else body.get("query", {"match_all": {}})
        return 200, {"count": len(run_query(indices, query)),
                     "_shards": dict(SEARCH_SHARDS, total=max(len(indices), 1))}


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9200
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    sys.stderr.write("es-standin: Elasticsearch %s stand-in listening on %d\n" % (VERSION, port))
    server.serve_forever()


if __name__ == "__main__":
    main()
