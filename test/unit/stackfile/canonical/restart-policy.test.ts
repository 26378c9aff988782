import { describe, expect, it } from "vitest";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { normaliseRestartPolicy } from "../../../../src/stackfile/canonical/restart-policy.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(yaml: string) {
  const doc = docFromYaml(yaml);
  const ctx = new NormaliseContext(doc);
  return {
    policy: normaliseRestartPolicy(doc.value as Record<string, unknown>, [], ctx),
    issues: ctx.issues,
  };
}

describe("restart policy", () => {
  it.each([
    ['restart: "no"', { condition: "none" }],
    ["restart: always", { condition: "any" }],
    ["restart: unless-stopped", { condition: "any", unlessStopped: true }],
    ["restart: on-failure", { condition: "on-failure" }],
    ["restart: on-failure:3", { condition: "on-failure", maxAttempts: 3 }],
    ["image: x", { condition: "none", defaulted: true }],
  ])("%s", (yaml, policy) => {
    expect(run(`${yaml}\n`)).toEqual({ policy, issues: [] });
  });

  it("prefers deploy.restart_policy, defaulting its condition to any", () => {
    expect(
      run("restart: always\ndeploy:\n  restart_policy:\n    condition: on-failure\n").policy,
    ).toEqual({ condition: "on-failure" });
    expect(
      run("deploy:\n  restart_policy:\n    delay: 5s\n    max_attempts: 3\n    window: 2m\n")
        .policy,
    ).toEqual({
      condition: "any",
      delayMs: 5000,
      maxAttempts: 3,
      windowMs: 120_000,
    });
  });

  it("locates an unknown restart value", () => {
    expect(run("restart: sometimes\n").issues).toEqual([
      expect.objectContaining({
        path: "restart",
        pos: expect.objectContaining({ line: 1, col: 10 }),
      }),
    ]);
  });
});
