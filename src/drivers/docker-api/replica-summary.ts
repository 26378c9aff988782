/**
 * The live view's inspect summary of one container, read from the engine's container
 * inspect. Shared by both drivers (a swarm task's container is inspected on its node). The
 * environment's values are dropped here, inside the driver, so they never reach the UI.
 */
import type Dockerode from "dockerode";
import type { ReplicaSummary } from "../../core/driver.js";
import type { EngineError } from "../../core/errors.js";
import { formatPort } from "../../core/views.js";

/** The fields of a container inspect the summary reads. */
export interface SummaryInspectItem {
  readonly Config?: {
    readonly Image?: string;
    readonly Entrypoint?: readonly string[] | string | null;
    readonly Cmd?: readonly string[] | string | null;
    readonly Env?: readonly string[] | null;
  };
  readonly Mounts?: readonly {
    readonly Type?: string;
    readonly Name?: string;
    readonly Source?: string;
    readonly Destination?: string;
    readonly RW?: boolean;
  }[];
  readonly NetworkSettings?: {
    readonly Ports?: Readonly<
      Record<string, readonly { readonly HostIp?: string; readonly HostPort?: string }[] | null>
    > | null;
  };
  readonly HostConfig?: {
    readonly Memory?: number;
    readonly NanoCpus?: number;
    readonly CpuQuota?: number;
    readonly CpuPeriod?: number;
    readonly PidsLimit?: number | null;
  };
  readonly State?: {
    readonly Health?: {
      readonly Log?: readonly {
        readonly End?: string;
        readonly ExitCode?: number;
        readonly Output?: string;
      }[];
    };
  };
}

function list(value: readonly string[] | string | null | undefined): string[] {
  if (value === undefined || value === null) return [];
  return typeof value === "string" ? [value] : [...value];
}

/** `50.0MiB`-style binary size (the live view's units). */
function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(1)}${units[u]}`;
}

/** The summary of one inspect result: names of variables only, never their values. */
export function replicaSummary(item: SummaryInspectItem): ReplicaSummary {
  const config = item.Config ?? {};
  const envNames = [...new Set((config.Env ?? []).map((e) => e.split("=", 1)[0] ?? ""))]
    .filter((n) => n !== "")
    .sort();
  const mounts = (item.Mounts ?? []).map((m) => {
    const source = m.Type === "volume" ? (m.Name ?? m.Source ?? "") : (m.Source ?? "");
    return `${m.Type ?? "mount"} ${source} -> ${m.Destination ?? "?"}${m.RW === false ? " (ro)" : ""}`;
  });
  const ports: string[] = [];
  for (const [key, bindings] of Object.entries(item.NetworkSettings?.Ports ?? {})) {
    const [target, protocol] = key.split("/");
    const base = {
      target: Number(target),
      protocol: (protocol ?? "tcp") as "tcp" | "udp" | "sctp",
    };
    if (bindings === null || bindings.length === 0) ports.push(formatPort(base));
    else
      for (const b of bindings)
        ports.push(
          formatPort({
            ...base,
            published: Number(b.HostPort),
            ...(b.HostIp !== undefined && { hostIp: b.HostIp }),
          }),
        );
  }
  const host = item.HostConfig ?? {};
  const limits: string[] = [];
  if ((host.Memory ?? 0) > 0) limits.push(`memory ${bytes(host.Memory ?? 0)}`);
  if ((host.NanoCpus ?? 0) > 0) limits.push(`cpus ${(host.NanoCpus ?? 0) / 1e9}`);
  else if ((host.CpuQuota ?? 0) > 0 && (host.CpuPeriod ?? 0) > 0)
    limits.push(`cpus ${(host.CpuQuota ?? 0) / (host.CpuPeriod ?? 1)}`);
  if (host.PidsLimit !== undefined && host.PidsLimit !== null && host.PidsLimit > 0)
    limits.push(`pids ${host.PidsLimit}`);
  return {
    image: config.Image ?? "",
    command: [...list(config.Entrypoint), ...list(config.Cmd)],
    envNames,
    mounts,
    ports: [...new Set(ports)].sort(),
    limits,
    health: (item.State?.Health?.Log ?? []).map((h) => ({
      end: h.End ?? "",
      exitCode: h.ExitCode ?? -1,
      output: (h.Output ?? "").trim(),
    })),
  };
}

/** Inspects container `id` and returns its summary; errors go through `fail` (classified once). */
export async function readReplicaSummary(
  docker: Dockerode,
  id: string,
  fail: (err: unknown, context: string) => EngineError,
): Promise<ReplicaSummary> {
  try {
    return replicaSummary((await docker.getContainer(id).inspect()) as SummaryInspectItem);
  } catch (err) {
    throw fail(err, `inspect container ${id}`);
  }
}
