/**
 * The stack's ingress proxy as an engine create body. PURE: the same spec always gives the
 * same body, so it is unit-tested without an engine.
 *
 * HAProxy facts relied on (checked with Debian bookworm's haproxy 2.6 on dockerd 20.10 and
 * podman 4.3.1): `server-template` with `resolvers` against the engine's DNS fills its slots
 * with every address the service name resolves to on the shared network, and follows
 * scale-ups, scale-downs and replacements without a reload; `init-addr none` lets it start
 * before any replica exists. The resolver comes from the container's /etc/resolv.conf
 * (`parse-resolv-conf`), which each engine writes for its own DNS: dockerd's embedded server
 * at 127.0.0.11, Podman's aardvark-dns at the network's gateway (e.g. 10.89.0.1, beside the
 * host's nameservers, which answer no service name; HAProxy takes the valid answer).
 *
 * Changing the generated configuration means bumping INGRESS_HASH_VERSION (spec/ingress.ts).
 */
import { LABELS } from "../docker-api/labels.js";
import {
  ingressNetworks,
  ingressRoutes,
  ingressImage,
  type IngressRoute,
} from "../../model/ingress.js";
import type { StackSpec } from "../../model/types.js";
import type { ContainerCreatePlan, EndpointConfig, HostConfigBody } from "./container-config.js";

/** Most replicas of one service the ingress balances over (server-template slots). */
export const INGRESS_MAX_REPLICAS = 64;

/** Where the ingress writes its configuration inside its container. */
export const INGRESS_CONFIG_PATH = "/tmp/stack-ingress.cfg";

/**
 * The HAProxy configuration for `routes`: one TCP frontend per route and one backend that
 * resolves the service name through the engine's DNS (the nameservers of resolv.conf), health-checks every replica (TCP
 * connect each second) and balances round robin. A connection that cannot reach a replica
 * (one just stopped, or not listening yet) is retried on another one, so rolling updates
 * lose no new connection.
 */
export function haproxyConfig(routes: readonly IngressRoute[]): string {
  const lines = [
    "global",
    "  log stdout format raw local0 notice",
    "  maxconn 4096",
    "",
    "resolvers docker",
    "  parse-resolv-conf",
    "  resolve_retries 3",
    "  timeout resolve 500ms",
    "  timeout retry 500ms",
    "  hold valid 1s",
    "  hold obsolete 1s",
    "  hold nx 1s",
    "  accepted_payload_size 8192",
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  timeout connect 1s",
    "  timeout client 1h",
    "  timeout server 1h",
    // A refused connection is retried about once a second on the next replica: a stack
    // whose replicas are all still starting (a fresh deploy) is waited for, not failed.
    "  retries 10",
    "  option redispatch 1",
    `  default-server init-addr none resolvers docker check inter ${INGRESS_CHECK_INTERVAL_MS}ms fall 2 rise 1`,
  ];
  routes.forEach((r, i) => {
    const name = routeName(r);
    lines.push(
      "",
      `frontend f${i}_${name}`,
      `  bind :${r.listen}`,
      `  default_backend b${i}_${name}`,
      "",
      `backend b${i}_${name}`,
      "  balance roundrobin",
      `  server-template r 1-${INGRESS_MAX_REPLICAS} ${r.service}:${r.target}`,
    );
  });
  return `${lines.join("\n")}\n`;
}

/** Health-check interval of the generated configuration, in milliseconds. */
export const INGRESS_CHECK_INTERVAL_MS = 1000;

/** Backend names of `routes` in the generated configuration, in route order. */
export function ingressBackends(routes: readonly IngressRoute[]): string[] {
  return routes.map((r, i) => `b${i}_${routeName(r)}`);
}

function routeName(r: IngressRoute): string {
  return `${r.service}_${r.target}_${r.published}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** A server state change HAProxy logged: `backend`/`server` went up or down. */
export interface ServerChange {
  readonly backend: string;
  readonly server: string;
  readonly up: boolean;
}

/**
 * The state change a line of HAProxy's log reports: `Server B/rN is UP, reason: ...` or
 * `Server B/rN ('SERVICE') is UP/READY (resolves again)` (an address arrived; such a server
 * counts as UP until a check fails) and `Server B/rN is DOWN, ...`. Undefined otherwise.
 */
export function serverChange(line: string): ServerChange | undefined {
  const m = /Server (\S+)\/(r\d+) (?:\('[^']*'\) )?is (UP|DOWN)\b/.exec(line);
  if (m === null) return undefined;
  return { backend: m[1] ?? "", server: m[2] ?? "", up: m[3] === "UP" };
}

/**
 * Tracks which servers of each backend are up from HAProxy's log, to tell when the ingress
 * serves: every backend has a server that is up after the first round of health checks.
 */
export class IngressHealth {
  private readonly up = new Map<string, Set<string>>();

  constructor(private readonly backends: readonly string[]) {
    for (const b of backends) this.up.set(b, new Set());
  }

  /** Feeds one log line. */
  observe(line: string): void {
    const change = serverChange(line);
    if (change === undefined) return;
    const servers = this.up.get(change.backend);
    if (servers === undefined) return;
    if (change.up) servers.add(change.server);
    else servers.delete(change.server);
  }

  /** Backends with no server up. */
  waiting(): string[] {
    return this.backends.filter((b) => (this.up.get(b)?.size ?? 0) === 0);
  }
}

/** What {@link ingressCreatePlan} needs besides the spec. */
export interface IngressConfigInput {
  readonly spec: StackSpec;
  readonly name: string;
  readonly configHash: string;
  readonly stackVersion: string;
}

/**
 * The create body of the ingress container: the ingress image, its configuration handed in
 * through the environment and written by `sh` before `haproxy` starts (so any image with `sh`
 * and `haproxy` on its PATH works, the official one included, whatever user it runs as), each
 * route's host port published to its listen port, restart `always`, attached to the first
 * network of every served service.
 */
export function ingressCreatePlan(input: IngressConfigInput): ContainerCreatePlan {
  const { spec } = input;
  const routes = ingressRoutes(spec);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const r of routes) {
    const key = `${r.listen}/tcp`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: r.hostIp ?? "", HostPort: String(r.published) }];
  }
  const networks = ingressNetworks(spec).map((k) => spec.networks[k]?.name ?? k);
  const host: HostConfigBody = {
    PortBindings: bindings,
    RestartPolicy: { Name: "always" },
  };
  const [first, ...rest] = networks;
  if (first !== undefined) host.NetworkMode = first;
  const endpoint: EndpointConfig = { Aliases: [] };
  return {
    name: input.name,
    body: {
      Image: ingressImage(spec),
      Entrypoint: ["sh", "-c"],
      Cmd: [
        `printf '%s' "$STACK_INGRESS_CONFIG" > ${INGRESS_CONFIG_PATH} && exec haproxy -db -f ${INGRESS_CONFIG_PATH}`,
      ],
      Env: [`STACK_INGRESS_CONFIG=${haproxyConfig(routes)}`],
      Labels: {
        [LABELS.stack]: spec.name,
        [LABELS.role]: "ingress",
        [LABELS.ingressRoutes]: JSON.stringify(
          routes.map((r) => ({ service: r.service, target: r.target, listen: r.listen })),
        ),
        [LABELS.configHash]: input.configHash,
        [LABELS.version]: input.stackVersion,
      },
      StopSignal: "SIGTERM",
      StopTimeout: 2,
      ExposedPorts: exposed,
      HostConfig: host,
      ...(first !== undefined && {
        NetworkingConfig: { EndpointsConfig: { [first]: endpoint } },
      }),
    },
    connectAfterCreate: rest.map((network) => ({ network, endpoint })),
  };
}
