/**
 * NetworkSpec / VolumeSpec -> Engine API create bodies. PURE, unit-tested without an engine.
 */
import { LABELS } from "./labels.js";
import type { NetworkSpec, VolumeSpec } from "../../model/types.js";

/** The `POST /networks/create` body this driver sends. */
export interface NetworkCreateBody {
  Name: string;
  CheckDuplicate: true;
  Driver: string;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  IPAM?: { Driver: string; Config: { Subnet?: string; Gateway?: string; IPRange?: string }[] };
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
}

/** The `POST /volumes/create` body this driver sends. */
export interface VolumeCreateBody {
  Name: string;
  Driver: string;
  DriverOpts: Record<string, string>;
  Labels: Record<string, string>;
}

/**
 * Create body for a stack network: the user's labels plus `stack.name`, `stack.network`,
 * `stack.config-hash` and `stack.version` (ours win); driver `bridge` unless given.
 * `CheckDuplicate` makes a second create of the same name a 409 instead of a twin network.
 */
export function networkCreateBody(
  stack: string,
  network: NetworkSpec,
  configHash: string,
  stackVersion: string,
): NetworkCreateBody {
  const body: NetworkCreateBody = {
    Name: network.name,
    CheckDuplicate: true,
    Driver: network.driver ?? "bridge",
    Options: { ...network.driverOpts },
    Labels: {
      ...network.labels,
      [LABELS.stack]: stack,
      [LABELS.network]: network.key,
      [LABELS.configHash]: configHash,
      [LABELS.version]: stackVersion,
    },
  };
  if (network.ipam !== undefined) {
    body.IPAM = {
      Driver: network.ipam.driver ?? "default",
      Config: network.ipam.config.map((c) => {
        const entry: { Subnet?: string; Gateway?: string; IPRange?: string } = {};
        if (c.subnet !== undefined) entry.Subnet = c.subnet;
        if (c.gateway !== undefined) entry.Gateway = c.gateway;
        if (c.ipRange !== undefined) entry.IPRange = c.ipRange;
        return entry;
      }),
    };
  }
  if (network.internal !== undefined) body.Internal = network.internal;
  if (network.attachable !== undefined) body.Attachable = network.attachable;
  if (network.enableIpv6 !== undefined) body.EnableIPv6 = network.enableIpv6;
  return body;
}

/** Create body for a stack volume: the user's labels plus `stack.name`, `stack.volume`, `stack.version`. */
export function volumeCreateBody(
  stack: string,
  volume: VolumeSpec,
  stackVersion: string,
): VolumeCreateBody {
  return {
    Name: volume.name,
    Driver: volume.driver ?? "local",
    DriverOpts: { ...volume.driverOpts },
    Labels: {
      ...volume.labels,
      [LABELS.stack]: stack,
      [LABELS.volume]: volume.key,
      [LABELS.version]: stackVersion,
    },
  };
}
