import { describe, expect, it } from "vitest";
import { AttachmentGate } from "../../../../src/drivers/docker/attachment-gate.js";

/** A promise with its resolver, to hold an operation open until the test lets it finish. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("AttachmentGate", () => {
  it("runs joins concurrently", async () => {
    const gate = new AttachmentGate();
    const hold = deferred();
    let running = 0;
    let peak = 0;
    const join = () =>
      gate.join(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await hold.promise;
        running -= 1;
      });
    const all = Promise.all([join(), join(), join()]);
    await tick();
    expect(peak).toBe(3);
    hold.resolve();
    await all;
  });

  it("runs a leave alone: after running joins, before queued joins, one leave at a time", async () => {
    const gate = new AttachmentGate();
    const log: string[] = [];
    const holdJoin = deferred();
    const holdLeave = deferred();
    const j1 = gate.join(async () => {
      log.push("j1 start");
      await holdJoin.promise;
      log.push("j1 end");
    });
    await tick();
    const l1 = gate.leave(async () => {
      log.push("l1 start");
      await holdLeave.promise;
      log.push("l1 end");
    });
    const l2 = gate.leave(async () => {
      log.push("l2");
    });
    const j2 = gate.join(async () => {
      log.push("j2");
    });
    await tick();
    expect(log).toEqual(["j1 start"]);
    holdJoin.resolve();
    await tick();
    await tick();
    expect(log).toEqual(["j1 start", "j1 end", "l1 start"]);
    holdLeave.resolve();
    await Promise.all([j1, l1, l2, j2]);
    expect(log).toEqual(["j1 start", "j1 end", "l1 start", "l1 end", "l2", "j2"]);
  });

  it("releases the gate when the operation fails", async () => {
    const gate = new AttachmentGate();
    await expect(gate.leave(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(gate.join(async () => "ok")).resolves.toBe("ok");
  });
});
