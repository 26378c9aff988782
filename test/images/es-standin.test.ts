/**
 * The Elasticsearch stand-in (stack-test/es-standin:latest, test/es-standin/) used by the
 * official clients, which refuse a server that does not answer like Elasticsearch: the
 * JavaScript client (@elastic/elasticsearch 8) through the port published on 127.0.0.1, and
 * Debian's Python clients (bookworm's 7.17, plain and in its compatibility mode, and trixie's
 * 8.x, from stack-test/python-elasticsearch:latest) in a container sharing the stand-in's
 * network namespace, running test/images/es_client_check.py. Every client runs the same steps
 * on its own index and must return the same report.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Client, errors } from "@elastic/elasticsearch";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueStackName, waitFor } from "../integration/docker/helpers.js";
import { cleanupRun, publishedPort, requireImages, runToCompletion, RUN_LABEL } from "./helpers.js";

const ES_IMAGE = "stack-test/es-standin:latest";
const PYTHON_IMAGE = "stack-test/python-elasticsearch:latest";
/** Where trixie's 8.x client is unpacked in PYTHON_IMAGE (test/python-elasticsearch/). */
const PYTHON_ES8_PATH = "/opt/elasticsearch8/usr/lib/python3/dist-packages";
const CHECK_SCRIPT = readFileSync(resolve("test/images/es_client_check.py"), "utf8");

const docker = await requireImages([ES_IMAGE, PYTHON_IMAGE]);
const run = uniqueStackName("images-es");
const labels = { [RUN_LABEL]: run };

type Doc = Record<string, unknown>;
/** "zebra" is in 2's body and tags and only in 3's author; "en" only in 3's nested meta.lang. */
const DOCS: Readonly<Record<"1" | "2" | "3", Doc>> = {
  "1": { author: "susan", body: "The quick brown fox jumps over the lazy dog", year: 2017 },
  "2": {
    author: "john",
    body: "A zebra crossing in the city",
    tags: ["street", "zebra"],
    year: 2018,
  },
  "3": { author: "zebra-fan", body: "Lions and tigers", meta: { lang: "en" }, year: 2019 },
};

/** What a client must report after the steps of es_client_check.py on `index`. */
function expectedReport(index: string): Record<string, unknown> {
  const shards = { total: 2, successful: 1, failed: 0 };
  const write = (id: string, version: number, result: string) => ({
    _index: index,
    _id: id,
    _version: version,
    result,
    _shards: shards,
  });
  return {
    info: { number: expect.stringMatching(/^8\.\d+\.\d+$/), tagline: "You Know, for Search" },
    indexed: [write("1", 1, "created"), write("2", 1, "created"), write("3", 1, "created")],
    replaced: write("1", 2, "updated"),
    get: DOCS["2"],
    get_missing: [404, false],
    match: ["2"],
    multi_match_all_fields: {
      total: { value: 2, relation: "eq" },
      page: 1,
      all: ["2", "3"],
      nested: ["3"],
    },
    multi_match_named_fields: ["2", "3"],
    bool: ["3"],
    count: 3,
    count_query: 1,
    deleted: write("2", 2, "deleted"),
    after_delete: { get: [404, false], count: 2, match: [], delete_again: [404, "not_found"] },
    missing_index: [404, "index_not_found_exception"],
  };
}

/** (status, error type or the body's result/found) of a call that must fail with 404. */
async function notFound(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
    return "no error";
  } catch (err) {
    if (!(err instanceof errors.ResponseError)) throw err;
    const body = err.body as { error?: { type?: string }; result?: string; found?: boolean };
    return [err.statusCode, body.error?.type ?? body.result ?? body.found];
  }
}

/** es_client_check.py's steps with the JavaScript client. */
async function jsReport(client: Client, index: string): Promise<Record<string, unknown>> {
  const ids = (r: { hits: { hits: { _id?: string }[] } }) => r.hits.hits.map((h) => h._id);
  const write = (r: {
    _index: string;
    _id: string;
    _version: number;
    result: string;
    _shards: unknown;
  }) => ({
    _index: r._index,
    _id: r._id,
    _version: r._version,
    result: r.result,
    _shards: r._shards,
  });
  const search = (query: object, paging: { from?: number; size?: number } = {}) =>
    client.search<Doc>({ index, query, ...paging });
  const count = async (query?: object) =>
    (await client.count({ index, ...(query && { query }) })).count;

  const report: Record<string, unknown> = {};
  const info = await client.info();
  report["info"] = { number: info.version.number, tagline: info.tagline };
  const indexed = [];
  for (const [id, document] of Object.entries(DOCS)) {
    indexed.push(write(await client.index({ index, id, document })));
  }
  report["indexed"] = indexed;
  const again = { ...DOCS["1"], body: `${String(DOCS["1"]["body"])} again` };
  report["replaced"] = write(await client.index({ index, id: "1", document: again }));
  await client.indices.refresh({ index });

  report["get"] = (await client.get<Doc>({ index, id: "2" }))._source;
  report["get_missing"] = await notFound(() => client.get({ index, id: "404" }));
  report["match"] = ids(await search({ match: { body: "ZEBRA crossing" } }));
  const everyField = { multi_match: { query: "zebra", fields: ["*"] } };
  const page = await search(everyField, { from: 0, size: 1 });
  report["multi_match_all_fields"] = {
    total: page.hits.total,
    page: page.hits.hits.length,
    all: ids(await search(everyField)).sort(),
    nested: ids(await search({ multi_match: { query: "EN", fields: ["*"] } })),
  };
  report["multi_match_named_fields"] = ids(
    await search({ multi_match: { query: "zebra", fields: ["author", "body^2"] } }),
  ).sort();
  report["bool"] = ids(
    await search({
      bool: {
        should: [{ match: { body: "fox" } }, { match: { body: "lions" } }],
        minimum_should_match: 1,
        must_not: [{ match: { author: "john" } }],
        filter: [{ range: { year: { gte: 2018 } } }],
      },
    }),
  );
  report["count"] = await count();
  report["count_query"] = await count({ match: { body: "fox" } });

  report["deleted"] = write(await client.delete({ index, id: "2" }));
  await client.indices.refresh({ index });
  report["after_delete"] = {
    get: await notFound(() => client.get({ index, id: "2" })),
    count: await count(),
    match: ids(await search({ match: { body: "zebra" } })),
    delete_again: await notFound(() => client.delete({ index, id: "2" })),
  };
  report["missing_index"] = await notFound(() => client.search({ index: `${index}-missing` }));
  return report;
}

let standin: Dockerode.Container | undefined;
let port = 0;

beforeAll(async () => {
  if (docker === undefined) return;
  standin = await docker.createContainer({
    name: `${run}-es`,
    Image: ES_IMAGE,
    Labels: labels,
    ExposedPorts: { "9200/tcp": {} },
    HostConfig: { PortBindings: { "9200/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  await standin.start();
  port = await publishedPort(standin, "9200/tcp");
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, {
    timeoutMs: 30_000,
    what: "the stand-in to answer on its published port",
  });
});

afterAll(async () => {
  if (docker !== undefined) await cleanupRun(docker, run);
});

describe.skipIf(docker === undefined)("stack-test/es-standin:latest", () => {
  const engine = docker as Dockerode;

  it("works with the official JavaScript client: index, get, search, count, refresh, delete", async () => {
    const client = new Client({ node: `http://127.0.0.1:${port}` });
    try {
      expect(await jsReport(client, "js-posts")).toEqual(expectedReport("js-posts"));
    } finally {
      await client.close();
    }
  });

  it.each([
    { name: "bookworm's python3-elasticsearch 7.17", index: "py7", major: "7", env: [] },
    {
      name: "bookworm's python3-elasticsearch 7.17 in compatibility mode (compatible-with=7)",
      index: "py7-compat",
      major: "7",
      env: ["ELASTIC_CLIENT_APIVERSIONING=true"],
    },
    {
      name: "trixie's python3-elasticsearch 8.x",
      index: "py8",
      major: "8",
      env: [`PYTHONPATH=${PYTHON_ES8_PATH}`],
    },
  ])("works with $name", async ({ index, major, env }) => {
    const result = await runToCompletion(engine, {
      Image: PYTHON_IMAGE,
      Cmd: ["python3", "-c", CHECK_SCRIPT, "http://127.0.0.1:9200", index, JSON.stringify(DOCS)],
      Env: env,
      Labels: labels,
      HostConfig: { NetworkMode: `container:${standin?.id ?? ""}` },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(String(report["client"])).toMatch(new RegExp(`^${major}\\.`));
    const { client: _client, ...rest } = report;
    expect(rest).toEqual(expectedReport(index));
  });

  it("answers like Elasticsearch 8 on the wire: product header, media types, status codes", async () => {
    const base = `http://127.0.0.1:${port}`;
    const vnd = (version: number) =>
      `application/vnd.elasticsearch+json; compatible-with=${version}`;

    const plain = await fetch(`${base}/`);
    expect(plain.headers.get("x-elastic-product")).toBe("Elasticsearch");
    expect(plain.headers.get("content-type")).toBe("application/json");
    expect(await plain.json()).toMatchObject({
      version: { number: expect.stringMatching(/^8\./), build_flavor: "default" },
      tagline: "You Know, for Search",
    });

    // What the v8 clients send: the answer comes back in the version they asked for.
    const versioned = await fetch(`${base}/`, { headers: { accept: vnd(8) } });
    expect(versioned.headers.get("content-type")).toBe(
      "application/vnd.elasticsearch+json;compatible-with=8",
    );

    // Errors carry the product header too, and the shape clients parse.
    const missing = await fetch(`${base}/no-such-index/_doc/1`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-elastic-product")).toBe("Elasticsearch");
    expect(await missing.json()).toMatchObject({
      error: { type: "index_not_found_exception", reason: "no such index [no-such-index]" },
      status: 404,
    });

    // A version 9 client gets from the stand-in what it gets from a real 8.x server.
    const v9 = await fetch(`${base}/`, { headers: { accept: vnd(9) } });
    expect(v9.status).toBe(400);
    expect(await v9.json()).toMatchObject({ error: { type: "media_type_header_exception" } });

    // curl -d without a JSON content type, as Elasticsearch answers it since 6.0.
    const form = await fetch(`${base}/wire/_doc/1`, {
      method: "PUT",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1",
    });
    expect(form.status).toBe(406);
  });
});
