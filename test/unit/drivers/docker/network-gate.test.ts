import { describe, expect, it } from "vitest";
import { NetworkGate } from "../../../../src/drivers/docker/network-gate.js";

/** A promise with its resolver, to hold a leave open until the test lets it finish. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("NetworkGate", () => {
  it("runs leaves on different networks at once", async () => {
    const gate = new NetworkGate();
    const hold = deferred();
    let running = 0;
    let peak = 0;
    const leave = (network: string) =>
      gate.leave([network], async () => {
        running += 1;
        peak = Math.max(peak, running);
        await hold.promise;
        running -= 1;
      });
    const all = Promise.all([leave("a"), leave("b"), leave("c")]);
    await tick();
    expect(peak).toBe(3);
    hold.resolve();
    await all;
  });

  it("runs leaves sharing a network one after another, in arrival order", async () => {
    const gate = new NetworkGate();
    const log: string[] = [];
    const holds = [deferred(), deferred(), deferred()];
    const leave = (i: number, networks: string[]) =>
      gate.leave(networks, async () => {
        log.push(`start ${i}`);
        await holds[i]!.promise;
        log.push(`end ${i}`);
      });
    const all = Promise.all([leave(0, ["a"]), leave(1, ["a", "b"]), leave(2, ["a"])]);
    await tick();
    expect(log).toEqual(["start 0"]);
    expect(gate.pending).toBe(2);
    holds[0]!.resolve();
    await tick();
    expect(log).toEqual(["start 0", "end 0", "start 1"]);
    holds[1]!.resolve();
    await tick();
    expect(log.at(-1)).toBe("start 2");
    holds[2]!.resolve();
    await all;
  });

  it("does not let later single-network leaves overtake an earlier one waiting for two networks", async () => {
    const gate = new NetworkGate();
    const log: string[] = [];
    const holdA = deferred();
    const first = gate.leave(["a"], async () => {
      log.push("a");
      await holdA.promise;
    });
    const both = gate.leave(["a", "b"], async () => {
      log.push("a+b");
    });
    // Its network is free, but the earlier waiter needs it: it waits behind.
    const later = gate.leave(["b"], async () => {
      log.push("b");
    });
    await tick();
    expect(log).toEqual(["a"]);
    holdA.resolve();
    await Promise.all([first, both, later]);
    expect(log).toEqual(["a", "a+b", "b"]);
  });

  it("runs a leave with no networks at once, and frees networks when a leave fails", async () => {
    const gate = new NetworkGate();
    await expect(gate.leave([], async () => "none")).resolves.toBe("none");
    await expect(
      gate.leave(["a"], async () => {
        throw new Error("stop failed");
      }),
    ).rejects.toThrow("stop failed");
    await expect(gate.leave(["a"], async () => "after")).resolves.toBe("after");
  });
});
