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
 * needs a second sample taken by the caller ({@link needsSecondSample}, {@link pairSamples});
 * its `memory_stats` carry only `usage` and `limit`, so there memory includes the page cache.
 * A stopped container there answers 200 with an empty body.
 */
import type { ContainerStats } from "../../core/driver.js";

/** The fields of a stats response this driver reads. */
export interface RawContainerStats {
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

/** `second` with `first`'s CPU sample as its previous one: what dockerd would have answered. */
export function pairSamples(
  first: RawContainerStats,
  second: RawContainerStats,
): RawContainerStats {
  return { ...second, precpu_stats: first.cpu_stats ?? {} };
}
