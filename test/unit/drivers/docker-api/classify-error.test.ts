import { describe, expect, it } from "vitest";
import { toEngineError } from "../../../../src/drivers/docker-api/classify-error.js";
import { EngineError } from "../../../../src/core/errors.js";

/** An error shaped like docker-modem's HTTP errors. */
function httpError(statusCode: number, message: string | null): Error {
  const err = new Error(`(HTTP code ${statusCode}) unexpected - ${message ?? ""} `);
  return Object.assign(err, {
    statusCode,
    json: message === null ? Buffer.alloc(0) : { message },
    reason: "unexpected",
  });
}

/** An error shaped like Node's socket errors. */
function socketError(code: string, syscall: string, address: string): Error {
  return Object.assign(new Error(`${syscall} ${code} ${address}`), { code, syscall, address });
}

describe("toEngineError", () => {
  it("reads Podman's 500 for a name in use as a conflict, other 500s as server errors", () => {
    const podman = (cause: string, message: string) =>
      Object.assign(new Error(`(HTTP code 500) server error - ${message} `), {
        statusCode: 500,
        json: { cause, message, response: 500 },
        reason: "server error",
      });
    const taken = toEngineError(
      podman(
        "that name is already in use",
        'creating container storage: the container name "s_web.1" is already in use by abc',
      ),
      "create container s_web.1",
    );
    expect(taken).toMatchObject({ kind: "conflict", statusCode: 500, retryable: false });
    expect(taken.message).toContain("is already in use");
    expect(
      toEngineError(
        podman("network already exists", "network name s_default already used"),
        "create network s_default",
      ).kind,
    ).toBe("conflict");
    expect(toEngineError(podman("OCI permission denied", "runc create failed"), "start").kind).toBe(
      "server",
    );
  });

  it("classifies socket failures as unavailable, naming the address and what to try", () => {
    const err = toEngineError(
      socketError("ENOENT", "connect", "/var/run/docker.sock"),
      "observe stack x",
      "unix:///var/run/docker.sock",
    );
    expect(err.kind).toBe("unavailable");
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(
      "observe stack x: cannot reach the Docker engine at unix:///var/run/docker.sock (connect ENOENT): is dockerd running? Use --context NAME or set DOCKER_HOST to use another engine.",
    );
  });

  it.each(["ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ECONNRESET"])("%s is unavailable", (code) => {
    expect(toEngineError(socketError(code, "connect", "x"), "ctx", "tcp://h:2375").kind).toBe(
      "unavailable",
    );
  });

  it("hints at permissions for EACCES", () => {
    const err = toEngineError(
      socketError("EACCES", "connect", "/var/run/docker.sock"),
      "ping",
      "unix:///var/run/docker.sock",
    );
    expect(err.kind).toBe("unavailable");
    expect(err.message).toContain("permission");
  });

  it("treats a socket hang up without a code as unavailable", () => {
    expect(toEngineError(new Error("socket hang up"), "ctx", "a").kind).toBe("unavailable");
  });

  it.each([
    [304, "not-modified", false],
    [404, "not-found", false],
    [409, "conflict", false],
    [400, "invalid", false],
    [403, "invalid", false],
    [500, "server", true],
    [503, "server", true],
  ] as const)("HTTP %i is %s", (status, kind, retryable) => {
    const err = toEngineError(httpError(status, "engine says no"), "start container x");
    expect(err).toMatchObject({ kind, statusCode: status, retryable });
  });

  it("includes the engine's own message after the context", () => {
    const err = toEngineError(
      httpError(409, 'Conflict. The container name "/s_web.1" is already in use'),
      "create container s_web.1",
    );
    expect(err.message).toBe(
      'create container s_web.1: Conflict. The container name "/s_web.1" is already in use',
    );
  });

  it("does not retry a start refused because of a task a killed dockerd left (a 500)", () => {
    // dockerd 20.10's answer, reproduced by SIGKILLing it in the middle of starts.
    const err = toEngineError(
      httpError(
        500,
        "task 2b3051fc8e16871732210eeb5c02c96f83939e7bc03892228ab4c0bb8721e46e: already exists",
      ),
      "start container x",
    );
    expect(err).toMatchObject({ kind: "conflict", statusCode: 500, retryable: false });
  });

  it("falls back to the reason when the body is empty (304)", () => {
    expect(toEngineError(httpError(304, null), "stop container x").message).toBe(
      "stop container x: unexpected",
    );
  });

  it("passes an EngineError through unchanged", () => {
    const original = new EngineError("timeout", "waited");
    expect(toEngineError(original, "ctx")).toBe(original);
  });

  it("classifies an unknown failure as server (retryable) with its message", () => {
    const err = toEngineError(new Error("something odd"), "ctx");
    expect(err).toMatchObject({ kind: "server", message: "ctx: something odd" });
  });
});
