import { describe, expect, it } from "vitest";
import { withRetry } from "../../../src/core/retry-policy.js";
import { EngineError, InterruptedError } from "../../../src/core/errors.js";

const fast = { minTimeoutMs: 1, maxTimeoutMs: 2 };

function flaky<T>(failures: readonly Error[], value: T) {
  let calls = 0;
  const fn = async () => {
    const error = failures[calls];
    calls += 1;
    if (error !== undefined) throw error;
    return value;
  };
  return { fn, calls: () => calls };
}

describe("withRetry", () => {
  it("retries 5xx and unreachable-engine errors until the call succeeds", async () => {
    const f = flaky(
      [
        new EngineError("server", "500 boom", { statusCode: 500 }),
        new EngineError("unavailable", "ECONNRESET"),
      ],
      "ok",
    );
    const retried: number[] = [];
    await expect(
      withRetry(f.fn, { ...fast, onRetry: (_e, attempt) => retried.push(attempt) }),
    ).resolves.toBe("ok");
    expect(f.calls()).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it.each([
    ["not-found", new EngineError("not-found", "no such image", { statusCode: 404 })],
    ["conflict", new EngineError("conflict", "name in use", { statusCode: 409 })],
    ["invalid", new EngineError("invalid", "bad mount", { statusCode: 400 })],
    ["a plain Error", new Error("bug")],
  ])("fails at once, with the original error, on %s", async (_name, error) => {
    const f = flaky([error, error], "ok");
    await expect(withRetry(f.fn, fast)).rejects.toBe(error);
    expect(f.calls()).toBe(1);
  });

  it("gives up after the configured retries and rejects with the last error", async () => {
    const errors = Array.from({ length: 5 }, (_, i) => new EngineError("server", `fail ${i}`));
    const f = flaky(errors, "ok");
    await expect(withRetry(f.fn, { ...fast, retries: 2 })).rejects.toThrow("fail 2");
    expect(f.calls()).toBe(3);
  });

  it("an abort during the backoff rejects with InterruptedError without another attempt", async () => {
    const controller = new AbortController();
    const f = flaky([new EngineError("server", "down"), new EngineError("server", "down")], "ok");
    const promise = withRetry(f.fn, {
      minTimeoutMs: 5_000,
      maxTimeoutMs: 5_000,
      signal: controller.signal,
      onRetry: () => controller.abort(),
    });
    await expect(promise).rejects.toBeInstanceOf(InterruptedError);
    expect(f.calls()).toBe(1);
  });

  it("returns the result of a call that succeeded even when the signal aborted meanwhile", async () => {
    const controller = new AbortController();
    const result = withRetry(
      async () => {
        controller.abort();
        return 42;
      },
      { signal: controller.signal },
    );
    await expect(result).resolves.toBe(42);
  });
});
