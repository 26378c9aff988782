/**
 * Which published ports the per-stack ingress proxy serves, and the hash that says when the
 * ingress must be recreated. PURE: the planner, the config hash, the docker driver and the
 * pre-flight checks all decide from these functions, so they never disagree.
 */
import { createHash } from "node:crypto";
import type { PortSpec, ServiceSpec, StackSpec } from "./types.js";

/** The ingress image when neither `STACK_INGRESS_IMAGE` nor the spec names one. */
export const DEFAULT_INGRESS_IMAGE = "haproxy:2.8";

/**
 * Prefix of the ingress config hash; bump it whenever the proxy configuration the docker
 * driver generates (src/drivers/docker/ingress-config.ts) changes, so running ingresses are
 * recreated with it.
 */
export const INGRESS_HASH_VERSION = "ingress-v6";

/** First port the ingress listens on inside its container (unprivileged, any image user). */
export const INGRESS_LISTEN_BASE = 20000;

/** One published port the ingress forwards to every replica of `service`. */
export interface IngressRoute {
  readonly service: string;
  /** Host port the ingress container publishes. */
  readonly published: number;
  /** Host address to bind; undefined binds every address. */
  readonly hostIp?: string;
  /** Port of the replicas. */
  readonly target: number;
  readonly protocol: "tcp";
  /** Port the proxy listens on inside the ingress container. */
  readonly listen: number;
}

/**
 * The ports of `service` the ingress serves: TCP ports with a fixed host port in `ingress`
 * mode, when the service has more than one replica or rolls updates `start-first` (two
 * containers of it run at once, and only one can bind a host port). Empty otherwise, and
 * for a service with `network_mode` (the ingress reaches replicas through a stack network).
 */
export function ingressPorts(service: ServiceSpec): PortSpec[] {
  if (service.networkMode !== undefined || Object.keys(service.networks).length === 0) return [];
  const several =
    service.deploy.replicas > 1 || service.deploy.updateConfig.order === "start-first";
  if (!several) return [];
  return service.ports.filter(
    // A host port range (`6005-6015:80`) lets the engine pick a port per replica instead.
    (p) =>
      p.published !== undefined &&
      p.publishedEnd === undefined &&
      p.protocol === "tcp" &&
      p.mode === "ingress",
  );
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every route of the stack's ingress, sorted by host port, host address and service; empty
 * when the stack needs no ingress. Listen ports are assigned in that order from
 * {@link INGRESS_LISTEN_BASE}.
 */
export function ingressRoutes(spec: StackSpec): IngressRoute[] {
  const routes = Object.values(spec.services).flatMap((s) =>
    ingressPorts(s).map((p) => ({
      service: s.name,
      published: p.published as number,
      ...(p.hostIp !== undefined && p.hostIp !== "" && { hostIp: p.hostIp }),
      target: p.target,
    })),
  );
  routes.sort(
    (a, b) =>
      compare(a.published, b.published) ||
      compare(a.hostIp ?? "", b.hostIp ?? "") ||
      compare(a.service, b.service) ||
      compare(a.target, b.target),
  );
  return routes.map((r, i) => ({ ...r, protocol: "tcp", listen: INGRESS_LISTEN_BASE + i }));
}

/** The image the ingress runs: the spec's choice (from `STACK_INGRESS_IMAGE`) or the default. */
export function ingressImage(spec: StackSpec): string {
  return spec.ingressImage ?? DEFAULT_INGRESS_IMAGE;
}

/**
 * Keys of the stack networks the ingress joins: the first network (sorted) of each served
 * service, so every served service's name resolves to its replicas from the ingress.
 */
export function ingressNetworks(spec: StackSpec): string[] {
  const keys = new Set<string>();
  for (const service of new Set(ingressRoutes(spec).map((r) => r.service))) {
    const first = Object.keys(spec.services[service]?.networks ?? {}).sort()[0];
    if (first !== undefined) keys.add(first);
  }
  return [...keys].sort();
}

/**
 * Hash of everything that shapes the ingress container (routes, image, networks): the
 * ingress is recreated exactly when it changes. Scaling a served service does not change it
 * (the proxy finds replicas through DNS).
 */
export function ingressConfigHash(spec: StackSpec): string {
  const value = JSON.stringify({
    image: ingressImage(spec),
    networks: ingressNetworks(spec).map((k) => spec.networks[k]?.name ?? k),
    routes: ingressRoutes(spec),
  });
  return `${INGRESS_HASH_VERSION}:${createHash("sha256").update(value).digest("hex")}`;
}
