import { connect } from "node:net";

/**
 * How long a connection must stay open (or answer) to count as served. Engine behaviour
 * relied on (dockerd 20.10, userland proxy, which serves ports bound to 127.0.0.1): the
 * proxy accepts every connection at once and closes it as soon as its own connection to
 * the container is refused, so a bare connect proves nothing; a close within this time
 * means nothing listens behind it.
 */
export const SETTLE_MS = 200;

/**
 * True when something serves `host:port` over TCP: the connection is accepted and either
 * the server speaks first or the connection is still open after {@link SETTLE_MS}. False
 * when it is refused, reset or closed at once (an engine's port proxy with nothing behind).
 */
export function probePort(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
    socket.once("end", () => done(false));
    socket.once("data", () => done(true));
    socket.once("connect", () => setTimeout(() => done(true), SETTLE_MS));
  });
}
