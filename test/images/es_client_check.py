"""Drives an official Python Elasticsearch client (7.17 or 8.x) against URL, in INDEX.

    python3 es_client_check.py URL INDEX DOCS

DOCS is a JSON object {"1": {...}, "2": {...}, "3": {...}}: the documents of
test/images/es-standin.test.ts, which runs the same steps with the JavaScript client and
asserts on the reports of both. The steps are what the Flask Mega-Tutorial's search does and
the rest of a document's life: index the documents and replace "1", refresh, get, search
(match, multi_match over every field with from/size as the tutorial pages, bool), count,
delete "2", and the 404s. Prints one JSON report of what the client returned on stdout. A
client that rejects the server raises here and the script exits non-zero with the traceback.
"""

import json
import sys

import elasticsearch
from elasticsearch import Elasticsearch, NotFoundError

URL, INDEX, DOCS = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

es = Elasticsearch(URL)


# Body fields as keyword arguments (document=, query=), which 7.17 accepts too and 8.x requires;
# except for count, which takes query= only from 8.0.
def index(doc_id, doc):
    return es.index(index=INDEX, id=doc_id, document=doc)


def search(query, **paging):
    return es.search(index=INDEX, query=query, **paging)


def count(query=None):
    if query is None:
        return es.count(index=INDEX)["count"]
    if elasticsearch.VERSION[0] >= 8:
        return es.count(index=INDEX, query=query)["count"]
    return es.count(index=INDEX, body={"query": query})["count"]


def ids(result):
    return [hit["_id"] for hit in result["hits"]["hits"]]


def not_found(call):
    """(status, error type or found flag) of a call the client must raise NotFoundError for."""
    try:
        call()
    except NotFoundError as err:
        status = getattr(err, "status_code", None)
        if not isinstance(status, int):
            status = err.meta.status
        body = getattr(err, "body", None) or getattr(err, "info", None) or {}
        if isinstance(body.get("error"), dict):
            return [status, body["error"]["type"]]
        return [status, body.get("result", body.get("found"))]
    return "no error"


def write(result):
    return {k: result[k] for k in ("_index", "_id", "_version", "result")} | {
        "_shards": dict(result["_shards"])
    }


report = {"client": elasticsearch.__versionstr__}
info = es.info()
report["info"] = {"number": info["version"]["number"], "tagline": info["tagline"]}
report["indexed"] = [write(index(doc_id, doc)) for doc_id, doc in DOCS.items()]
report["replaced"] = write(index("1", dict(DOCS["1"], body=DOCS["1"]["body"] + " again")))
es.indices.refresh(index=INDEX)

report["get"] = es.get(index=INDEX, id="2")["_source"]
report["get_missing"] = not_found(lambda: es.get(index=INDEX, id="404"))
report["match"] = ids(search({"match": {"body": "ZEBRA crossing"}}))
# The tutorial: multi_match over every field ("*"), one page of `size` from `from`.
# Hits are compared sorted: their order is the server's scoring, not what is tested here.
page = search({"multi_match": {"query": "zebra", "fields": ["*"]}}, from_=0, size=1)
report["multi_match_all_fields"] = {
    "total": page["hits"]["total"],
    "page": len(ids(page)),
    "all": sorted(ids(search({"multi_match": {"query": "zebra", "fields": ["*"]}}))),
    "nested": ids(search({"multi_match": {"query": "EN", "fields": ["*"]}})),
}
report["multi_match_named_fields"] = sorted(
    ids(search({"multi_match": {"query": "zebra", "fields": ["author", "body^2"]}}))
)
report["bool"] = ids(
    search(
        {
            "bool": {
                "should": [{"match": {"body": "fox"}}, {"match": {"body": "lions"}}],
                "minimum_should_match": 1,
                "must_not": [{"match": {"author": "john"}}],
                "filter": [{"range": {"year": {"gte": 2018}}}],
            }
        }
    )
)
report["count"] = count()
report["count_query"] = count({"match": {"body": "fox"}})

report["deleted"] = write(es.delete(index=INDEX, id="2"))
es.indices.refresh(index=INDEX)
report["after_delete"] = {
    "get": not_found(lambda: es.get(index=INDEX, id="2")),
    "count": count(),
    "match": ids(search({"match": {"body": "zebra"}})),
    "delete_again": not_found(lambda: es.delete(index=INDEX, id="2")),
}
report["missing_index"] = not_found(lambda: es.search(index=INDEX + "-missing"))

json.dump(report, sys.stdout)
