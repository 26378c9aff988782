import { afterEach, describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/core/driver.js";
import type { ObservedContainer } from "../../../src/core/replica.js";
import {
  backoffDelay,
  followStack,
  type FollowStackOptions,
} from "../../../src/ui/follow-stack.js";
import {
  initialPsState,
  reducePs,
  type PsAction,
  type PsState,
} from "../../../src/ui/ps-view-model.js";
import { waitFor } from "../../integration/docker/helpers.js";
import { replica } from "./fixtures.js";

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * A scripted driver: each `events()` call plays the next script (a list of events, then
 * either a break with an error or a stream that stays open until aborted).
 */
function scriptedEngine(
  scripts: { events: number; then: "break" | "stay" }[],
  replicas: () => readonly ObservedContainer[],
): FollowStackOptions["driver"] & { observations: number; connections: number } {
  const engine = {
    observations: 0,
    connections: 0,
    async replicas() {
      engine.observations += 1;
      return replicas();
    },
    async *events(_stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
      const script = scripts[engine.connections] ?? { events: 0, then: "stay" as const };
      engine.connections += 1;
      for (let i = 0; i < script.events; i++)
        yield { type: "container", action: "die", service: "web" };
      if (script.then === "break") throw new Error("the engine closed the event stream");
      await aborted(signal);
    },
  };
  return engine;
}

const controllers: AbortController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
});

function start(driver: FollowStackOptions["driver"], extra: Partial<FollowStackOptions> = {}) {
  const controller = new AbortController();
  controllers.push(controller);
  const actions: PsAction[] = [];
  let state: PsState = initialPsState("gsl");
  const done = followStack(
    {
      driver,
      stack: "gsl",
      stats: false,
      signal: controller.signal,
      backoff: { initialMs: 20, maxMs: 80 },
      ...extra,
    },
    (a) => {
      actions.push(a);
      state = reducePs(state, a);
    },
    () => state,
  );
  return { actions, state: () => state, controller, done };
}

describe("followStack", () => {
  it("observes on start and goes live once the stream is open", async () => {
    const engine = scriptedEngine([{ events: 0, then: "stay" }], () => [replica("web", 1)]);
    const run = start(engine);
    await waitFor(() => run.state().connection.status === "live", { what: "live" });
    expect(run.state().replicas).toHaveLength(1);
    run.controller.abort();
    await run.done;
  });

  it("says the stream broke, reconnects with growing delays and catches up without restarting", async () => {
    // Replicas change while the stream is down (from the second connection on): no event
    // reports it, only the catch-up observation after reconnecting can.
    const engine = scriptedEngine(
      [
        { events: 1, then: "break" },
        { events: 0, then: "break" },
        { events: 0, then: "stay" },
      ],
      () =>
        Array.from({ length: engine.connections >= 2 ? 3 : 1 }, (_, i) => replica("web", i + 1)),
    );
    const run = start(engine);
    await waitFor(() => engine.connections >= 3 && run.state().connection.status === "live", {
      what: "reconnected",
    });
    const broken = run.actions.filter((a) => a.type === "stream-broken");
    expect(broken.map((a) => (a.type === "stream-broken" ? [a.attempt, a.error] : []))).toEqual([
      [1, "the engine closed the event stream"],
      [2, "the engine closed the event stream"],
    ]);
    await waitFor(() => run.state().replicas?.length === 3, { what: "caught up" });
    run.controller.abort();
    await run.done;
  });

  it("turns a burst of events into a few observations, not one each", async () => {
    const engine = scriptedEngine([{ events: 50, then: "stay" }], () => [replica("web", 1)]);
    const run = start(engine, { debounceMs: 30 });
    await waitFor(() => run.state().connection.status === "live" && engine.observations >= 2, {
      what: "observations",
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.observations).toBeLessThanOrEqual(3);
  });

  it("samples stats of running replicas with --stats", async () => {
    const sampled: string[] = [];
    const engine = {
      ...scriptedEngine([{ events: 0, then: "stay" }], () => [
        replica("web", 1),
        replica("web", 2, { state: "exited", exitCode: 1 }),
      ]),
      async stats(id: string) {
        sampled.push(id);
        return { cpuPercent: 1, memoryBytes: 1024 };
      },
    };
    const run = start(engine, { stats: true, statsIntervalMs: 20 });
    await waitFor(() => run.state().stats["web-1-id"] !== undefined, { what: "stats" });
    expect(new Set(sampled)).toEqual(new Set(["web-1-id"]));
  });

  it("doubles the reconnect delay up to the cap", () => {
    const backoff = { initialMs: 500, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, backoff))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
});
