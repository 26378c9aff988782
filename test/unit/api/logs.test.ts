import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { followLogs } from "../../../src/api/logs.js";
import type { Driver, LogLine } from "../../../src/core/driver.js";
import type { ObservedContainer } from "../../../src/core/replica.js";

/** A driver with `count` replicas of service `web` whose follow streams run until aborted. */
function streamingDriver(count: number) {
  const listening: number[] = [];
  const replicas = Array.from(
    { length: count },
    (_, i) =>
      ({
        id: `id${i + 1}`,
        name: `s-web-${i + 1}`,
        service: "web",
        slot: i + 1,
      }) as ObservedContainer,
  );
  const driver = {
    replicas: async () => replicas,
    logs: (id: string, options: { readonly signal?: AbortSignal }): AsyncIterable<LogLine> => ({
      async *[Symbol.asyncIterator]() {
        yield { container: id, stream: "stdout", text: `hello from ${id}` };
        const signal = options.signal!;
        // As the engine clients do: one abort listener per stream on the signal given.
        await new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => resolve(), { once: true });
          listening.push(1);
        });
      },
    }),
  } as unknown as Driver;
  return { driver, listening };
}

describe("followLogs", () => {
  it("follows more than 10 replicas with one listener on the caller's signal, and stops them all on abort", async () => {
    const { driver, listening } = streamingDriver(12);
    const controller = new AbortController();
    const lines: string[] = [];
    const done = followLogs({
      driver,
      stack: "s",
      follow: true,
      signal: controller.signal,
      write: (text) => lines.push(text),
    });
    while (listening.length < 12) await new Promise((r) => setImmediate(r));
    // Node warns (MaxListenersExceededWarning) past 10 listeners on one AbortSignal.
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    await expect(done).resolves.toBe(true);
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe("s-web-1  | hello from id1\n");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("returns false when no replica matches the service", async () => {
    const { driver } = streamingDriver(2);
    await expect(
      followLogs({ driver, stack: "s", services: ["db"], follow: false, write: () => undefined }),
    ).resolves.toBe(false);
  });

  it("follows only the replicas named by id, prefixed with the replica's name", async () => {
    const { driver } = streamingDriver(3);
    const controller = new AbortController();
    const lines: string[] = [];
    const done = followLogs({
      driver,
      stack: "s",
      replicas: ["id2"],
      follow: true,
      signal: controller.signal,
      write: (text) => lines.push(text),
    });
    while (lines.length < 1) await new Promise((r) => setImmediate(r));
    controller.abort();
    expect(await done).toBe(true);
    expect(lines).toEqual(["s-web-2 | hello from id2\n"]);
  });
});
