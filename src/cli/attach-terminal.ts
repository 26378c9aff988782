/**
 * The caller's terminal for `exec` and `run`: whether to allocate a TTY, its size, and raw
 * input while a remote process owns it (keys, Ctrl-C included, go to that process).
 */
import type { TerminalSize } from "../core/driver.js";

/** Whether `exec`/`run` get a TTY: unless `-T`, when stdin and stdout are both terminals. */
export function wantsTty(allowed: boolean): boolean {
  return allowed && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** This process's stdout as a terminal whose size the remote TTY follows. */
export function stdoutTerminal(): TerminalSize {
  return {
    size: () => ({ rows: process.stdout.rows ?? 24, columns: process.stdout.columns ?? 80 }),
    onResize: (listener) => {
      process.stdout.on("resize", listener);
      return () => process.stdout.off("resize", listener);
    },
  };
}

/**
 * Runs `fn` with stdin in raw mode when `tty` (restored afterwards, also on failure), then
 * lets stdin go so it does not keep the process alive.
 */
export async function withTerminal<T>(tty: boolean, fn: () => Promise<T>): Promise<T> {
  const raw = tty && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  try {
    return await fn();
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdin.unref?.();
  }
}

/**
 * `-e` entries as `KEY=VALUE`: `KEY` alone takes the value from this environment (left out
 * when unset), as docker compose does.
 */
export function envEntries(
  given: readonly string[] | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  return (given ?? []).flatMap((e) => {
    if (e.includes("=")) return [e];
    const value = env[e];
    return value === undefined ? [] : [`${e}=${value}`];
  });
}
