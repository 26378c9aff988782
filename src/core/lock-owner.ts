/**
 * Who this process is, as a stack lock records it, and whether a recorded holder on this
 * machine is still alive. Linux facts relied on: field 22 of /proc/PID/stat is the process's
 * start time in clock ticks since boot, so a pid the kernel gave to a new process reads a
 * different value.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename } from "node:path";
import type { LockHolder, LockOwner } from "./driver.js";

/** The start time of process `pid` from /proc (clock ticks since boot), or undefined off Linux. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

/**
 * This process as a lock owner: host name, pid, its start time and `command` (by default
 * the command line, e.g. `stack deploy -c stack.yml app`).
 */
export function currentLockOwner(command?: string): LockOwner {
  const start = processStartOf(process.pid);
  const argv = process.argv;
  const program = argv[1] === undefined ? "node" : basename(argv[1]).replace(/\.[cm]?js$/, "");
  return {
    host: hostname(),
    pid: process.pid,
    command:
      command ??
      [program === "main" || program === "bin" ? "stack" : program, ...argv.slice(2)].join(" "),
    ...(start === undefined ? {} : { processStart: start }),
  };
}

/**
 * Why `holder` is known to be dead, or undefined when it may be alive: it ran on this host
 * and its pid is gone, or now belongs to a process started at another time.
 */
export function deadHolderReason(holder: LockOwner, host = hostname()): string | undefined {
  if (holder.host !== host || !Number.isInteger(holder.pid) || holder.pid <= 0) return undefined;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user; only ESRCH means gone.
    if ((err as NodeJS.ErrnoException).code === "ESRCH")
      return `process ${holder.pid} on ${host} is gone`;
    return undefined;
  }
  if (holder.processStart !== undefined) {
    const start = processStartOf(holder.pid);
    if (start !== undefined && start !== holder.processStart)
      return `process ${holder.pid} on ${host} is gone (the pid now belongs to another process)`;
  }
  return undefined;
}

/** `HOST pid N (COMMAND) since TIME`: a lock holder in one line. */
export function describeHolder(holder: LockHolder): string {
  return `${holder.host} pid ${holder.pid} (${holder.command}) since ${holder.since}`;
}
