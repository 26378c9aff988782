"""The Docker get-started lab's app: says hello, names the container that answered and
counts visits in Redis (the count lives in Redis's volume, so it survives redeploys)."""
import os
import socket

from flask import Flask
from redis import Redis, RedisError

redis = Redis(host=os.getenv("REDIS_HOST", "redis"), db=0, socket_connect_timeout=2, socket_timeout=2)
app = Flask(__name__)


@app.route("/")
def hello():
    try:
        visits = redis.incr("counter")
    except RedisError:
        visits = "<i>cannot connect to Redis, counter disabled</i>"
    html = (
        "<h3>Hello {name}!</h3>"
        "<b>Hostname:</b> {hostname}<br/>"
        "<b>Visits:</b> {visits}"
    )
    return html.format(name=os.getenv("NAME", "world"), hostname=socket.gethostname(), visits=visits)


@app.route("/health")
def health():
    return "ok"
