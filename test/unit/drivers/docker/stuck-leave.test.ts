import { describe, expect, it } from "vitest";
import {
  EngineStuckError,
  watchLeave,
  type ProbeResult,
} from "../../../../src/drivers/docker/stuck-leave.js";

const stuckError = () =>
  new EngineStuckError("stopping app_web.1", "unix:///run/x.sock", "app_default", "20.10.24");

/** A leave that never returns (the engine is wedged), or returns after `ms`. */
const hanging = () => new Promise<string>(() => undefined);
const after = (ms: number, value = "done") =>
  new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

function prober(results: ProbeResult[]) {
  const seen: ProbeResult[] = [];
  return {
    seen,
    probe: async () => {
      const r = results[Math.min(seen.length, results.length - 1)]!;
      seen.push(r);
      return r;
    },
  };
}

describe("watchLeave", () => {
  it("passes a leave through that ends before its deadline, without probing", async () => {
    const p = prober(["stuck"]);
    await expect(
      watchLeave(
        after(5),
        { deadlineMs: 200, probeIntervalMs: 1, probes: 2, probe: p.probe },
        stuckError,
      ),
    ).resolves.toBe("done");
    expect(p.seen).toEqual([]);
  });

  it("gives up a hanging leave once enough probes in a row find the engine stuck", async () => {
    const p = prober(["stuck", "answering", "stuck", "stuck"]);
    const error = await watchLeave(
      hanging(),
      { deadlineMs: 5, probeIntervalMs: 1, probes: 2, probe: p.probe },
      stuckError,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineStuckError);
    expect((error as EngineStuckError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/moby\/moby#42545/);
    expect((error as Error).message).toMatch(/restart dockerd/);
    // The answering probe in between reset the count.
    expect(p.seen).toEqual(["stuck", "answering", "stuck", "stuck"]);
  });

  it("keeps waiting for a slow leave while the engine still answers network calls", async () => {
    const p = prober(["answering"]);
    await expect(
      watchLeave(
        after(60),
        { deadlineMs: 5, probeIntervalMs: 5, probes: 2, probe: p.probe },
        stuckError,
      ),
    ).resolves.toBe("done");
    expect(p.seen.length).toBeGreaterThan(0);
    expect(p.seen.every((r) => r === "answering")).toBe(true);
  });

  it("passes the leave's own failure through", async () => {
    const failing = Promise.reject(new Error("no such container"));
    await expect(
      watchLeave(
        failing,
        { deadlineMs: 5, probeIntervalMs: 1, probes: 1, probe: async () => "stuck" },
        stuckError,
      ),
    ).rejects.toThrow("no such container");
  });
});
