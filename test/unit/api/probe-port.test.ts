import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { probePort } from "../../../src/api/probe-port.js";

let server: Server | undefined;
afterEach(() => server?.close());

function listen(onConnection: (socket: Socket) => void): Promise<number> {
  server = createServer(onConnection);
  return new Promise((done) =>
    server!.listen(0, "127.0.0.1", () => done((server!.address() as { port: number }).port)),
  );
}

describe("probePort", () => {
  it("is true for a server that keeps the connection open or speaks first", async () => {
    expect(await probePort("127.0.0.1", await listen(() => undefined))).toBe(true);
    server!.close();
    expect(await probePort("127.0.0.1", await listen((s) => s.write("hello\n")))).toBe(true);
  });

  it("is false for a port that closes at once (an engine proxy with nothing behind) or refuses", async () => {
    const port = await listen((s) => s.destroy());
    expect(await probePort("127.0.0.1", port)).toBe(false);
    server!.close();
    await new Promise((done) => server!.once("close", done));
    expect(await probePort("127.0.0.1", port)).toBe(false);
  });
});
