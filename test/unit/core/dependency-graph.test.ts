import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PlanGraphError,
  compareStrings,
  orderServices,
  sortOperations,
  topologicalOrder,
} from "../../../src/core/dependency-graph.js";
import { serviceSpec } from "../drivers/docker/helpers/fixtures.js";

const services = (...specs: ReturnType<typeof serviceSpec>[]) =>
  Object.fromEntries(specs.map((s) => [s.name, s]));

describe("orderServices", () => {
  it("puts dependencies first and breaks ties by name", () => {
    const order = orderServices(
      services(
        serviceSpec("web", { dependsOn: { db: "service_healthy", cache: "service_started" } }),
        serviceSpec("db"),
        serviceSpec("cache"),
        serviceSpec("admin", { dependsOn: { web: "service_started" } }),
        serviceSpec("batch"),
      ),
    );
    expect(order).toEqual(["batch", "cache", "db", "web", "admin"]);
  });

  it("ignores dependencies on services that are not in the map", () => {
    expect(
      orderServices(services(serviceSpec("web", { dependsOn: { ghost: "service_started" } }))),
    ).toEqual(["web"]);
  });

  it("breaks a cycle deterministically instead of failing", () => {
    const cyclic = services(
      serviceSpec("b", { dependsOn: { a: "service_started" } }),
      serviceSpec("a", { dependsOn: { b: "service_started" } }),
      serviceSpec("c", { dependsOn: { a: "service_started" } }),
    );
    expect(orderServices(cyclic)).toEqual(["a", "b", "c"]);
  });
});

describe("topologicalOrder", () => {
  const nodes = [
    { k: "d", deps: ["b", "c"] },
    { k: "c", deps: ["a"] },
    { k: "b", deps: ["a"] },
    { k: "a", deps: [] },
    { k: "e", deps: [] },
  ];
  const options = {
    key: (n: { k: string }) => n.k,
    dependencies: (n: { deps: string[] }) => n.deps,
    compare: (x: { k: string }, y: { k: string }) => compareStrings(x.k, y.k),
    onCycle: "throw" as const,
  };

  it("orders by dependencies, smallest ready node first, whatever the input order", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(nodes, { minLength: nodes.length, maxLength: nodes.length }),
        (input) => {
          expect(topologicalOrder(input, options).map((n) => n.k)).toEqual([
            "a",
            "b",
            "c",
            "d",
            "e",
          ]);
        },
      ),
    );
  });

  it("rejects duplicate keys and unknown dependencies", () => {
    expect(() => topologicalOrder([...nodes, { k: "a", deps: [] }], options)).toThrow(
      PlanGraphError,
    );
    expect(() => topologicalOrder([{ k: "x", deps: ["nope"] }], options)).toThrow(
      '"x" depends on unknown "nope"',
    );
  });
});

describe("sortOperations", () => {
  const op = (id: string, after: string[], rank = 1) => ({ id, after, rank });
  const byRank = (a: { id: string; rank: number }, b: { id: string; rank: number }) =>
    a.rank - b.rank || compareStrings(a.id, b.id);

  it("orders by dependencies, ties by the comparator", () => {
    const sorted = sortOperations(
      [op("z", []), op("b", ["z"]), op("img", [], 0), op("a", [])],
      byRank,
    );
    expect(sorted.map((o) => o.id)).toEqual(["img", "a", "z", "b"]);
  });

  it("throws on a cycle, naming the operations in it", () => {
    expect(() => sortOperations([op("a", ["b"]), op("b", ["a"]), op("c", [])], byRank)).toThrow(
      "dependency cycle among: a, b",
    );
  });
});
