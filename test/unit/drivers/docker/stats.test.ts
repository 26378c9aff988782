import { describe, expect, it } from "vitest";
import { toContainerStats } from "../../../../src/drivers/docker/stats.js";

describe("toContainerStats", () => {
  it("computes CPU like docker stats and memory without the page cache, with the limit", () => {
    const stats = toContainerStats({
      cpu_stats: {
        cpu_usage: { total_usage: 3_000_000 },
        system_cpu_usage: 200_000_000,
        online_cpus: 2,
      },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 100_000_000 },
      memory_stats: {
        usage: 10 * 1024 * 1024,
        limit: 50 * 1024 * 1024,
        stats: { cache: 2 * 1024 * 1024 },
      },
    });
    // 2e6 / 1e8 * 2 cpus * 100
    expect(stats).toEqual({
      cpuPercent: 4,
      memoryBytes: 8 * 1024 * 1024,
      memoryLimitBytes: 50 * 1024 * 1024,
    });
  });

  it("prefers inactive_file (cgroup v2) and reports zero for a stopped container", () => {
    expect(
      toContainerStats({
        memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 400, cache: 900 } },
      }).memoryBytes,
    ).toBe(600);
    expect(toContainerStats({ cpu_stats: {}, precpu_stats: {}, memory_stats: {} })).toEqual({
      cpuPercent: 0,
      memoryBytes: 0,
    });
  });
});
