import { describe, expect, it } from "vitest";
import {
  needsSecondSample,
  pairSamples,
  toContainerStats,
} from "../../../../src/drivers/docker/stats.js";

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

describe("a second sample (Podman answers without a previous one)", () => {
  const first = {
    cpu_stats: {
      cpu_usage: { total_usage: 5_000_000_000 },
      system_cpu_usage: 9_000_000_000_000,
      online_cpus: 2,
    },
    precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 },
    memory_stats: { usage: 4096, limit: 8192 },
  };
  const second = {
    cpu_stats: {
      cpu_usage: { total_usage: 5_250_000_000 },
      system_cpu_usage: 9_002_000_000_000,
      online_cpus: 2,
    },
    precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 },
    memory_stats: { usage: 4096, limit: 8192 },
  };

  it("is needed only when a current sample has no previous one", () => {
    expect(needsSecondSample(first)).toBe(true);
    expect(
      needsSecondSample({ ...first, precpu_stats: { system_cpu_usage: 8_999_000_000_000 } }),
    ).toBe(false);
    // A stopped container: nothing to sample.
    expect(needsSecondSample({})).toBe(false);
  });

  it("computes the share over the pair: 0.25 s of CPU in 2 s of two cores is 25%", () => {
    expect(pairSamples(first, second).cpuPercent).toBeCloseTo(25);
    // Alone, the cumulative counters give a meaningless share.
    expect(toContainerStats(first).cpuPercent).toBeLessThan(1);
  });

  it("times the pair by the samples' read times, not Podman's system counter", () => {
    // As Podman 4.3 answered for a replica limited to half a core: 557.5 ms of CPU between
    // reads 1.122 s apart, while its system_cpu_usage grew only 783 ms.
    const a = {
      read: "2026-11-29T20:58:47.562255756Z",
      cpu_stats: {
        cpu_usage: { total_usage: 1_056_646_187 },
        system_cpu_usage: 31_354_643_738_939,
        online_cpus: 2,
      },
      precpu_stats: {},
    };
    const b = {
      read: "2026-11-29T20:58:48.68438553Z",
      cpu_stats: {
        cpu_usage: { total_usage: 1_614_115_553 },
        system_cpu_usage: 31_355_426_847_929,
        online_cpus: 2,
      },
      precpu_stats: {},
    };
    expect(pairSamples(a, b).cpuPercent).toBeCloseTo(49.7, 1);
    // The engine's counters alone would say 142%.
    expect(toContainerStats({ ...b, precpu_stats: a.cpu_stats }).cpuPercent).toBeGreaterThan(100);
  });
});
