import type { Driver, PublishedAddress } from "../core/driver.js";
import { NotFoundError } from "../core/errors.js";
import { replicaAt, stackReplicasOf } from "./replicas-of.js";

/** What `stack port` asks for. */
export interface PortOptions {
  readonly driver: Driver;
  readonly stack: string;
  readonly service: string;
  readonly index: number;
  /** The container port. */
  readonly target: number;
  readonly protocol: "tcp" | "udp";
}

/**
 * The host address of port `target` of replica `index` of `service` (through the stack's
 * ingress when one serves it). Throws NotFoundError when the stack, service or replica is
 * not there or the port is not published.
 */
export async function publishedPort(options: PortOptions): Promise<PublishedAddress> {
  const { driver, stack, service, index, target, protocol } = options;
  const replica = replicaAt(await stackReplicasOf(driver, stack), stack, service, index);
  const address = await driver.port(stack, replica, target, protocol);
  if (address === undefined)
    throw new NotFoundError(
      `port ${target}/${protocol} of service "${service}" of stack ${stack} is not published`,
    );
  return address;
}

/** `HOST:PORT` (IPv6 hosts in brackets). */
export function formatAddress(address: PublishedAddress): string {
  return address.hostIp.includes(":")
    ? `[${address.hostIp}]:${address.port}`
    : `${address.hostIp}:${address.port}`;
}
