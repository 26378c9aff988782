/**
 * One resource sample of a container from `GET /containers/{id}/stats?stream=false`.
 * Checked on dockerd 20.10 (cgroup v1): with stream=false the engine samples twice about a
 * second apart and fills both `cpu_stats` and `precpu_stats`, so the CPU share comes from
 * one call; `memory_stats.usage` includes the page cache (`stats.cache` on cgroup v1,
 * `stats.inactive_file` on v2), which `docker stats` subtracts and so do we;
 * `memory_stats.limit` is the container's limit, or the host's memory when it has none.
 * A stopped container answers with zeroed fields.
 *
 * Podman 4.3 answers `stream=false` at once, with `precpu_stats` all zero: the CPU share then
 * needs a second sample taken by the caller ({@link needsSecondSample}, {@link pairSamples}).
 * Its `system_cpu_usage` is not the host's total CPU time (checked: it grew 0.78 s over
 * 1.12 s of wall time on 2 cores, where dockerd's grows 2.24 s), so a pair is timed by the
 * samples' own `read` times;
 * its `memory_stats` carry only `usage` and `limit`, so there memory includes the page cache.
 * A stopped container there answers 200 with an empty body.
 */
import type { ContainerStats } from "../../core/driver.js";

/** The fields of a stats response this driver reads. */
export interface RawContainerStats {
  /** When the engine took the sample (RFC 3339 with nanoseconds). */
  readonly read?: string;
  readonly cpu_stats?: {
    readonly cpu_usage?: {
      readonly total_usage?: number;
      readonly percpu_usage?: readonly number[] | null;
    };
    readonly system_cpu_usage?: number;
    readonly online_cpus?: number;
  };
  readonly precpu_stats?: {
    readonly cpu_usage?: { readonly total_usage?: number };
    readonly system_cpu_usage?: number;
  };
  readonly memory_stats?: {
    readonly usage?: number;
    readonly limit?: number;
    readonly stats?: Readonly<Record<string, number>>;
  };
}

/**
 * CPU percent (100 = one full core, as `docker stats` counts) and memory in use without the
 * page cache, with the limit when the engine reports one.
 */
export function toContainerStats(raw: RawContainerStats): ContainerStats {
  const cpu = raw.cpu_stats;
  const pre = raw.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cpus = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  const memory = raw.memory_stats;
  const usage = memory?.usage ?? 0;
  const cache =
    memory?.stats?.["inactive_file"] ??
    memory?.stats?.["total_inactive_file"] ??
    memory?.stats?.["cache"] ??
    0;
  const memoryBytes = Math.max(0, usage - (cache < usage ? cache : 0));
  const limit = memory?.limit;
  return {
    cpuPercent,
    memoryBytes,
    ...(limit !== undefined && limit > 0 && { memoryLimitBytes: limit }),
  };
}

/**
 * True when `raw` has a current CPU sample but no previous one (Podman 4.3 with
 * stream=false), so a CPU share can only come from a second sample; false on dockerd, which
 * samples twice itself, and for a stopped container (no current sample either).
 */
export function needsSecondSample(raw: RawContainerStats): boolean {
  return (
    (raw.precpu_stats?.system_cpu_usage ?? 0) === 0 && (raw.cpu_stats?.system_cpu_usage ?? 0) > 0
  );
}

/**
 * The stats of `second` with the CPU share taken over the pair: the CPU time the container
 * used between the two samples over the wall time between their `read` times (100 = one
 * core, as `docker stats` counts). Without usable times it falls back to the engine's
 * counters, as dockerd pairs them.
 */
export function pairSamples(first: RawContainerStats, second: RawContainerStats): ContainerStats {
  const stats = toContainerStats({ ...second, precpu_stats: first.cpu_stats ?? {} });
  const wallNs = readTimeNs(second.read) - readTimeNs(first.read);
  const cpuNs =
    (second.cpu_stats?.cpu_usage?.total_usage ?? 0) -
    (first.cpu_stats?.cpu_usage?.total_usage ?? 0);
  if (!(wallNs > 0) || cpuNs < 0) return stats;
  return { ...stats, cpuPercent: (cpuNs / wallNs) * 100 };
}

/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 decimals; NaN when not one. */
function readTimeNs(time: string | undefined): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time ?? "");
  if (m === null) return Number.NaN;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(seconds) || seconds <= 0) return Number.NaN;
  return seconds * 1e6 + Number((m[2] ?? "").padEnd(9, "0"));
}
