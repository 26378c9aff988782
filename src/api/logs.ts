import type { Driver } from "../core/driver.js";
import { compareNames } from "../model/naming.js";

export interface LogsOptions {
  readonly driver: Driver;
  readonly stack: string;
  /** Only these services (default: all). */
  readonly services?: readonly string[];
  /** Only these replicas (ids from `Driver.replicas`), e.g. the live view's selection. */
  readonly replicas?: readonly string[];
  readonly follow: boolean;
  readonly tail?: number;
  readonly signal?: AbortSignal;
  readonly write: (text: string) => void;
}

/**
 * Streams the logs of a stack's replicas, each line prefixed with the replica name padded to
 * one width, like `docker compose logs`. Lines of different replicas interleave as they
 * arrive. Returns false when no replica matched.
 */
export async function followLogs(options: LogsOptions): Promise<boolean> {
  const containers = [...(await options.driver.replicas(options.stack))]
    .filter(
      (c) =>
        options.services === undefined ||
        options.services.length === 0 ||
        options.services.includes(c.service),
    )
    .filter((c) => options.replicas === undefined || options.replicas.includes(c.id))
    .sort((a, b) => compareNames(a.service, b.service) || a.slot - b.slot);
  if (containers.length === 0) return false;
  const width = Math.max(...containers.map((c) => c.name.length));
  const streams = containers.map(() => new AbortController());
  // One signal of its own per stream, all aborted by one listener on the caller's: Node warns
  // (MaxListenersExceededWarning) when more than 10 listeners wait on one AbortSignal, and
  // each stream adds its own.
  const abortAll = (): void => streams.forEach((s) => s.abort());
  const { signal } = options;
  if (signal?.aborted === true) abortAll();
  signal?.addEventListener("abort", abortAll, { once: true });
  try {
    await Promise.all(
      containers.map(async (c, i) => {
        const lines = options.driver.logs(c.id, {
          follow: options.follow,
          ...(options.tail !== undefined && { tail: options.tail }),
          ...(signal !== undefined && { signal: streams[i]!.signal }),
        });
        for await (const line of lines) options.write(`${c.name.padEnd(width)} | ${line.text}\n`);
      }),
    );
  } finally {
    signal?.removeEventListener("abort", abortAll);
  }
  return true;
}
