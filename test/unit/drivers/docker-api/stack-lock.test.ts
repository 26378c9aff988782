import { hostname } from "node:os";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { LockHolder } from "../../../../src/core/driver.js";
import { EngineError, InterruptedError } from "../../../../src/core/errors.js";
import { currentLockOwner } from "../../../../src/core/lock-owner.js";
import { acquireStackLock, LEASE_MS } from "../../../../src/drivers/docker-api/stack-lock.js";
import { MemoryLockStore } from "./helpers/memory-lock-store.js";

const me = currentLockOwner("stack deploy app");
/** A pid no process has: that of a child that has already exited. */
const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;

function otherHolder(overrides: Partial<LockHolder> = {}): LockHolder {
  return {
    host: "build-agent-7",
    pid: 4242,
    command: "stack deploy -c prod.yml app",
    since: "2024-01-01T00:00:00.000Z",
    ...overrides,
  };
}

describe("acquireStackLock", () => {
  it("takes a free lock and releases it", async () => {
    const store = new MemoryLockStore();
    const lock = await acquireStackLock(store, "app", me);
    expect(lock.holder).toMatchObject({
      host: hostname(),
      pid: process.pid,
      command: "stack deploy app",
    });
    expect(await store.read("app")).toBeDefined();
    await lock.release();
    await lock.release();
    expect(await store.read("app")).toBeUndefined();
  });

  it("waits while a live holder has the lock, says who once, then takes it when released", async () => {
    const store = new MemoryLockStore();
    store.seed("app", { token: "t-other", renewedAtMs: store.clock, holder: otherHolder() });
    const waits: LockHolder[] = [];
    const taking = acquireStackLock(store, "app", me, {
      pollIntervalMs: 2,
      onWait: (h) => waits.push(h),
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(waits).toEqual([otherHolder()]);
    await store.remove("app", "t-other");
    const lock = await taking;
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it("gives up after the timeout with a timeout error naming the holder", async () => {
    const store = new MemoryLockStore();
    store.seed("app", { token: "t-other", renewedAtMs: store.clock, holder: otherHolder() });
    const error = await acquireStackLock(store, "app", me, {
      pollIntervalMs: 2,
      timeoutMs: 20,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).kind).toBe("timeout");
    expect((error as Error).message).toBe(
      "stack app is locked by build-agent-7 pid 4242 (stack deploy -c prod.yml app) since 2024-01-01T00:00:00.000Z; gave up waiting after 0s",
    );
  });

  it("stops waiting when the signal aborts", async () => {
    const store = new MemoryLockStore();
    store.seed("app", { token: "t-other", renewedAtMs: store.clock, holder: otherHolder() });
    const controller = new AbortController();
    const taking = acquireStackLock(store, "app", me, {
      pollIntervalMs: 2,
      signal: controller.signal,
    });
    controller.abort();
    await expect(taking).rejects.toBeInstanceOf(InterruptedError);
  });

  it("breaks the lock of a holder on this host whose process is gone", async () => {
    const store = new MemoryLockStore();
    store.seed("app", {
      token: "t-dead",
      renewedAtMs: store.clock,
      // A start time no live process has, should the pid have been given out again already.
      holder: otherHolder({ host: hostname(), pid: deadPid, processStart: "1" }),
    });
    const broken: string[] = [];
    const lock = await acquireStackLock(store, "app", me, {
      onBreak: (_h, why) => broken.push(why),
    });
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(new RegExp(`^process ${deadPid} on ${hostname()} is gone`));
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it("breaks the lock of a holder elsewhere once its lease has expired by the engine's clock", async () => {
    const store = new MemoryLockStore();
    store.seed("app", { token: "t-far", renewedAtMs: store.clock, holder: otherHolder() });
    const waits: LockHolder[] = [];
    const broken: string[] = [];
    const taking = acquireStackLock(store, "app", me, {
      pollIntervalMs: 2,
      onWait: (h) => waits.push(h),
      onBreak: (_h, why) => broken.push(why),
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(waits).toHaveLength(1);
    store.clock += LEASE_MS + 5_000;
    const lock = await taking;
    expect(broken).toEqual(["its lease expired (last renewed 35s ago by the engine's clock)"]);
    await lock.release();
  });

  it("does not take a lock from a holder whose pid on this host is alive", async () => {
    const store = new MemoryLockStore();
    store.seed("app", {
      token: "t-live",
      renewedAtMs: store.clock,
      holder: otherHolder({
        host: hostname(),
        pid: process.pid,
        ...(me.processStart === undefined ? {} : { processStart: me.processStart }),
      }),
    });
    await expect(
      acquireStackLock(store, "app", me, { pollIntervalMs: 2, timeoutMs: 10 }),
    ).rejects.toMatchObject({ kind: "timeout" });
  });
});
