"""A small microblog: posts are stored in MySQL and indexed in Elasticsearch for search.

DATABASE_URL       mysql+pymysql://USER:PASSWORD@HOST[:PORT]/DATABASE (the host is the link
                   alias `dbserver` in stack.yml)
ELASTICSEARCH_URL  http://HOST:9200 (Elasticsearch's REST API, spoken with urllib)
BLOG_TITLE         shown by GET / and GET /health

The stack starts this only once MySQL and Elasticsearch are healthy (depends_on with
condition service_healthy), so there is no retry loop here.
"""

import json
import os
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

import pymysql
from flask import Flask, jsonify, request

INDEX = "posts"
TITLE = os.environ.get("BLOG_TITLE", "microblog")


def database_settings(url):
    """pymysql.connect keyword arguments of a mysql:// or mysql+pymysql:// URL."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("mysql"):
        raise ValueError("DATABASE_URL must be a mysql:// URL, not " + parts.scheme)
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
        "charset": "utf8mb4",
        "autocommit": True,
        "cursorclass": pymysql.cursors.DictCursor,
    }


DB = database_settings(os.environ["DATABASE_URL"])
ES = os.environ.get("ELASTICSEARCH_URL", "http://elasticsearch:9200").rstrip("/")


def connect():
    return pymysql.connect(**DB)


def es(method, path, body=None):
    """(status, JSON body) of one Elasticsearch request; HTTP errors are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(ES + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def create_schema():
    with connect() as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS posts ("
            " id INT AUTO_INCREMENT PRIMARY KEY,"
            " author VARCHAR(64) NOT NULL,"
            " body TEXT NOT NULL,"
            " created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
            ") CHARACTER SET utf8mb4"
        )


def as_json(row):
    return {"id": row["id"], "author": row["author"], "body": row["body"],
            "created": row["created"].isoformat() + "Z"}


create_schema()
app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(title=TITLE, endpoints=["GET /posts", "POST /posts", "GET /search?q=", "GET /health"])


@app.get("/health")
def health():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM posts")
        count = cur.fetchone()["n"]
    status, cluster = es("GET", "/_cluster/health")
    ok = status == 200 and cluster.get("status") in ("green", "yellow")
    return jsonify(title=TITLE, posts=count, elasticsearch=cluster.get("status")), (200 if ok else 503)


@app.post("/posts")
def create_post():
    data = request.get_json(silent=True) or request.form
    body = (data.get("body") or "").strip()
    author = (data.get("author") or "anonymous").strip()[:64]
    if not body:
        return jsonify(error="body is required"), 400
    with connect() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO posts (author, body) VALUES (%s, %s)", (author, body))
        cur.execute("SELECT * FROM posts WHERE id = LAST_INSERT_ID()")
        post = as_json(cur.fetchone())
    # refresh=true: the post is searchable as soon as this request returns.
    status, result = es("PUT", "/%s/_doc/%d?refresh=true" % (INDEX, post["id"]), post)
    if status not in (200, 201):
        return jsonify(error="indexing failed", elasticsearch=result, post=post), 502
    return jsonify(post), 201


@app.get("/posts")
def list_posts():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM posts ORDER BY id DESC LIMIT 100")
        return jsonify(posts=[as_json(r) for r in cur.fetchall()])


@app.get("/search")
def search():
    q = request.args.get("q", "").strip()
    if not q:
        return jsonify(error="q is required"), 400
    query = {"query": {"multi_match": {"query": q, "fields": ["body", "author"]}}, "size": 50}
    status, result = es("POST", "/%s/_search" % INDEX, query)
    if status == 404:  # no post indexed yet: the index does not exist
        return jsonify(query=q, posts=[])
    if status != 200:
        return jsonify(error="search failed", elasticsearch=result), 502
    return jsonify(query=q, posts=[hit["_source"] for hit in result["hits"]["hits"]])
