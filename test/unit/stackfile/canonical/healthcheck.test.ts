import { describe, expect, it } from "vitest";
import { normaliseHealthcheck } from "../../../../src/stackfile/canonical/healthcheck.js";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(yaml: string) {
  const doc = docFromYaml(yaml);
  const ctx = new NormaliseContext(doc);
  const hc = normaliseHealthcheck(
    (doc.value as { healthcheck: unknown }).healthcheck,
    ["healthcheck"],
    ctx,
  );
  return { hc, issues: ctx.issues };
}

describe("healthcheck", () => {
  it("wraps a string test in CMD-SHELL and converts durations to ms", () => {
    const { hc, issues } = run(
      "healthcheck:\n  test: wget -q -O- http://localhost/\n  interval: 1m30s\n  timeout: 500ms\n  retries: 3\n  start_period: 10s\n  start_interval: 2s\n",
    );
    expect(issues).toEqual([]);
    expect(hc).toEqual({
      test: ["CMD-SHELL", "wget -q -O- http://localhost/"],
      intervalMs: 90_000,
      timeoutMs: 500,
      retries: 3,
      startPeriodMs: 10_000,
      startIntervalMs: 2000,
    });
  });

  it("keeps CMD and CMD-SHELL lists", () => {
    expect(run('healthcheck:\n  test: ["CMD", "curl", "-f", "http://x"]\n').hc).toEqual({
      test: ["CMD", "curl", "-f", "http://x"],
    });
    expect(run('healthcheck:\n  test: ["CMD-SHELL", "true"]\n').hc).toEqual({
      test: ["CMD-SHELL", "true"],
    });
  });

  it("treats disable: true and NONE alike", () => {
    expect(run("healthcheck:\n  disable: true\n").hc).toEqual({ disable: true });
    expect(run('healthcheck:\n  test: ["NONE"]\n').hc).toEqual({ disable: true });
  });

  it("keeps an empty test (use the image's) when only timings are given", () => {
    expect(run("healthcheck:\n  interval: 5s\n").hc).toEqual({ test: [], intervalMs: 5000 });
  });

  it("locates a bad test list and a bad duration", () => {
    expect(run('healthcheck:\n  test: ["curl", "x"]\n').issues[0]?.path).toBe("healthcheck.test");
    const bad = run("healthcheck:\n  test: true\n  interval: 30\n");
    expect(bad.issues).toEqual([
      expect.objectContaining({
        path: "healthcheck.interval",
        pos: expect.objectContaining({ line: 3, col: 13 }),
      }),
    ]);
  });
});
