import { describe, expect, it } from "vitest";
import { neverPullIssues, policyPulls } from "../../../../src/drivers/docker/pull-policy.js";
import { reconcile } from "../../../../src/drivers/docker/reconcile.js";
import { converged, serviceSpec, stackSpec } from "./helpers/fixtures.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-29T12:00:00Z");

describe("policyPulls", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("a", { image: "r/a:1", pullPolicy: "always" }),
      serviceSpec("b", { image: "r/b:1", pullPolicy: "refresh", pullRefreshMs: HOUR }),
      serviceSpec("c", { image: "r/c:1", pullPolicy: "refresh", pullRefreshMs: 24 * HOUR }),
      serviceSpec("d", { image: "r/d:1", pullPolicy: "refresh", pullRefreshMs: HOUR }),
      serviceSpec("e", { image: "r/e:1" }),
    ],
  });
  it("pulls always, and a refresh whose period passed since the last pull (or none recorded)", () => {
    const info = new Map([
      ["r/b:1", { id: "b", sizeBytes: 1, lastTagTime: "2026-11-29T10:00:00Z" }],
      ["r/c:1", { id: "c", sizeBytes: 1, lastTagTime: "2026-11-29T10:00:00Z" }],
      ["r/d:1", { id: "d", sizeBytes: 1 }],
    ]);
    expect([...policyPulls(spec, info, NOW)]).toEqual([
      ["r/a:1", "pull_policy always"],
      ["r/b:1", "pull_policy every 1h: last pulled 2026-11-29T10:00:00.000Z"],
      ["r/d:1", "pull_policy every 1h: no pull recorded"],
    ]);
  });

  it("never: a missing image is an error at the key, a present one is fine", () => {
    const never = stackSpec({
      services: [serviceSpec("n", { image: "r/n:1", pullPolicy: "never" })],
    });
    expect(neverPullIssues(never, new Map([["r/n:1", undefined]]))).toEqual([
      {
        path: "services.n.pull_policy",
        message:
          "image r/n:1 is not on the engine and pull_policy is never: pull it (docker pull, stack pull) or change the policy",
      },
    ]);
    expect(neverPullIssues(never, new Map([["r/n:1", { id: "x", sizeBytes: 1 }]]))).toEqual([]);
  });
});

describe("reconcile with pull_policy", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("a", { image: "r/a:1", pullPolicy: "always" }),
      serviceSpec("n", { image: "r/n:1", pullPolicy: "never" }),
    ],
  });
  const pulls = new Map([["r/a:1", "pull_policy always" as const]]);
  const pullOps = (plan: ReturnType<typeof reconcile>) =>
    plan.operations.filter((o) => o.kind === "pull-image").map((o) => [o.id, o.cause]);

  it("plans the policy's pull of a present image in the first round, and nothing once converged", () => {
    const observed = converged(spec);
    expect(pullOps(reconcile(spec, observed, { prune: false, firstRound: true, pulls }))).toEqual([
      ["image:r/a:1:pull", "pull_policy always"],
    ]);
    expect(reconcile(spec, observed, { prune: false }).operations).toEqual([]);
  });

  it("never pulls a never image, even when missing", () => {
    const observed = { ...converged(spec), containers: [], presentImages: ["r/a:1"] };
    expect(pullOps(reconcile(spec, observed, { prune: false, firstRound: true, pulls }))).toEqual([
      ["image:r/a:1:pull", "pull_policy always"],
    ]);
  });
});
