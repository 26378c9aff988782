"""Elasticsearch stand-in for the offline microblog tests (not Elasticsearch).

A tiny in-memory server speaking the part of Elasticsearch's REST API that
examples/microblog uses, so the example's end-to-end test runs with no registry:

  GET  /                          cluster info
  GET  /_cluster/health           {"status": "green", ...}
  PUT  /<index>/_doc/<id>         index (create or replace) a JSON document; POST works too
  GET  /<index>/_doc/<id>         fetch it
  GET  /<index>/_search?q=TEXT    query-string search over every field
  POST /<index>/_search           {"query": {"match": {FIELD: TEXT}}},
                                  {"query": {"multi_match": {"query": TEXT, "fields": [...]}}}
                                  or {"query": {"match_all": {}}}

Matching is Elasticsearch's default for match queries on text fields: lower-cased word
tokens, a document matches when any query term is in one of the fields, scored by how
many terms it contains. Documents live in memory only; refresh is immediate.
"""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INDICES = {}
LOCK = threading.Lock()
TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(value):
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return set(TOKEN.findall(str(value).lower()))


def search(index, terms, fields):
    with LOCK:
        docs = dict(INDICES.get(index, {}))
    hits = []
    for doc_id, source in docs.items():
        names = fields or list(source.keys())
        words = set()
        for name in names:
            # "title^2" boosts are accepted and ignored.
            name = name.split("^", 1)[0]
            if name in source:
                words |= tokens(source[name])
        score = float(len(terms & words)) if terms is not None else 1.0
        if score > 0:
            hits.append({"_index": index, "_id": doc_id, "_score": score, "_source": source})
    hits.sort(key=lambda h: (-h["_score"], h["_id"]))
    return {
        "took": 1,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits), "relation": "eq"},
            "max_score": hits[0]["_score"] if hits else None,
            "hits": hits,
        },
    }


def parse_query(body):
    """(terms or None for match_all, fields or None for all) of a query DSL body."""
    query = (body or {}).get("query", {"match_all": {}})
    if "match_all" in query:
        return None, None
    if "multi_match" in query:
        mm = query["multi_match"]
        return tokens(mm.get("query", "")), mm.get("fields")
    if "match" in query:
        (field, value), = query["match"].items()
        if isinstance(value, dict):
            value = value.get("query", "")
        return tokens(value), [field]
    if "query_string" in query:
        qs = query["query_string"]
        return tokens(qs.get("query", "")), qs.get("fields")
    raise ValueError("unsupported query: " + ", ".join(query.keys()))


class Handler(BaseHTTPRequestHandler):
    server_version = "es-standin/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("es-standin: " + (fmt % args) + "\n")

    def reply(self, status, payload):
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, kind, reason):
        self.reply(status, {"error": {"type": kind, "reason": reason}, "status": status})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw.strip() else None

    def route(self):
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        params = parse_qs(url.query)
        method = self.command
        try:
            body = self.body()
        except ValueError as exc:
            return self.error(400, "parse_exception", str(exc))
        if not parts and method in ("GET", "HEAD"):
            return self.reply(200, {
                "name": "es-standin",
                "cluster_name": "es-standin",
                "version": {"number": "8.13.0", "distribution": "es-standin"},
                "tagline": "Not Elasticsearch: a stand-in for offline tests",
            })
        if parts == ["_cluster", "health"] and method == "GET":
            return self.reply(200, {
                "cluster_name": "es-standin", "status": "green", "timed_out": False,
                "number_of_nodes": 1, "number_of_data_nodes": 1,
            })
        if len(parts) == 3 and parts[1] == "_doc":
            index, doc_id = parts[0], parts[2]
            if method in ("PUT", "POST"):
                if not isinstance(body, dict):
                    return self.error(400, "mapper_parsing_exception", "document must be an object")
                with LOCK:
                    docs = INDICES.setdefault(index, {})
                    result = "updated" if doc_id in docs else "created"
                    docs[doc_id] = body
                return self.reply(201 if result == "created" else 200, {
                    "_index": index, "_id": doc_id, "result": result, "_version": 1,
                })
            if method == "GET":
                with LOCK:
                    source = INDICES.get(index, {}).get(doc_id)
                if source is None:
                    return self.reply(404, {"_index": index, "_id": doc_id, "found": False})
                return self.reply(200, {"_index": index, "_id": doc_id, "found": True, "_source": source})
        if len(parts) == 2 and parts[1] == "_search" and method in ("GET", "POST"):
            index = parts[0]
            with LOCK:
                exists = index in INDICES
            if not exists:
                return self.error(404, "index_not_found_exception", "no such index [" + index + "]")
            try:
                if "q" in params:
                    terms, fields = tokens(params["q"][0]), None
                else:
                    terms, fields = parse_query(body)
            except (ValueError, AttributeError) as exc:
                return self.error(400, "parsing_exception", str(exc))
            return self.reply(200, search(index, terms, fields))
        return self.error(400, "illegal_argument_exception",
                          "es-standin does not implement " + method + " " + url.path)

    do_GET = do_PUT = do_POST = do_HEAD = route


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9200
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    sys.stderr.write("es-standin: listening on %d\n" % port)
    server.serve_forever()


if __name__ == "__main__":
    main()
