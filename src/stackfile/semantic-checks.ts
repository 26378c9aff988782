import { STACK_NAME_PATTERN } from "../model/naming.js";
import type { Origin } from "./canonical/normalise-context.js";
import { formatPath, type DocPath, type PositionLookup } from "./document.js";
import { byPosition } from "./normalise.js";
import type { StackNameSource } from "./project-name.js";
import type { PortSpec, SpecIssue, SpecWarning, StackSpec } from "../model/types.js";

/** Compose's rule for service names. */
export const SERVICE_NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;

export type { StackNameSource } from "./project-name.js";

/** What the semantic checks need besides the spec: how to locate its parts. */
export interface SemanticCheckInput {
  readonly spec: StackSpec;
  /** Origin of a spec object (from normalise()). */
  readonly locate: (obj: object) => Origin | undefined;
  readonly positionOf: PositionLookup;
  /** Services left out for their `profiles:`; depending on one gets a specific message. */
  readonly inactiveServices: ReadonlyMap<string, readonly string[]>;
  /** Services left out because a provider runs them; depending on one is only a warning. */
  readonly providerServices?: ReadonlySet<string>;
  readonly stackNameSource: StackNameSource;
}

/** Issues and warnings of the semantic checks. */
export interface SemanticCheckResult {
  readonly issues: SpecIssue[];
  readonly warnings: SpecWarning[];
}

const WILDCARD_IPS = new Set([undefined, "", "0.0.0.0", "::"]);

/**
 * Checks what a schema cannot: references between parts of the stack and conflicts across
 * services. Every problem is reported (none stops the others): unknown `depends_on` /
 * `links` / `network_mode: service:` targets (a warning when `required: false`),
 * dependency cycles (named `a -> b -> a`), undefined networks, volumes, secrets and configs,
 * a host port (address, port, protocol; a wildcard address overlaps every address)
 * published twice, `container_name` with more than one replica, an invalid stack name
 * (STACK_NAME_PATTERN) and invalid service names (compose's `[a-zA-Z0-9._-]+`).
 */
export function checkStack(input: SemanticCheckInput): SemanticCheckResult {
  const { spec, locate, positionOf, inactiveServices } = input;
  const issues: SpecIssue[] = [];
  const warnings: SpecWarning[] = [];
  const report = (
    list: (SpecIssue | SpecWarning)[],
    path: DocPath,
    message: string,
    key = false,
  ): void => {
    const pos = positionOf(path, key);
    list.push(pos ? { pos, path: formatPath(path), message } : { path: formatPath(path), message });
  };
  const pathOf = (obj: object, fallback: DocPath): DocPath => locate(obj)?.path ?? fallback;

  if (!STACK_NAME_PATTERN.test(spec.name)) {
    const rule = "must be lowercase letters, digits, '_' and '-', starting with a letter or digit";
    const where = input.stackNameSource === "file" ? ["name"] : [];
    const from =
      input.stackNameSource === "command line"
        ? "given on the command line"
        : input.stackNameSource === "environment"
          ? "from COMPOSE_PROJECT_NAME"
          : input.stackNameSource === "file"
            ? "from the file's name:"
            : `derived from the directory name (pass a name on the command line)`;
    const pos = where.length > 0 ? positionOf(where) : undefined;
    const message = `invalid stack name "${spec.name}" ${from}: a stack name ${rule}`;
    issues.push(pos ? { pos, path: "name", message } : { path: "name", message });
  }

  const services = Object.values(spec.services);
  for (const service of services) {
    const servicePath = pathOf(service, ["services", service.name]);
    if (!SERVICE_NAME_PATTERN.test(service.name)) {
      report(
        issues,
        servicePath,
        `invalid service name "${service.name}": use only letters, digits, '.', '_' and '-'`,
        true,
      );
    }
    for (const [target, dep] of Object.entries(service.dependsOn)) {
      if (spec.services[target]) continue;
      const at = pathOf(dep, [...servicePath, "depends_on", target]);
      if (input.providerServices?.has(target) === true) {
        report(
          warnings,
          at,
          `service "${service.name}" depends on provider service "${target}", which stack does not run; the dependency is ignored`,
        );
        continue;
      }
      const profiles = inactiveServices.get(target);
      const what = profiles
        ? `service "${target}" which is not deployed (it has profiles [${profiles.join(", ")}])`
        : `undefined service "${target}"`;
      if (dep.required) report(issues, at, `service "${service.name}" depends on ${what}`);
      else
        report(
          warnings,
          at,
          `service "${service.name}" depends on ${what}; ignored because required: false`,
        );
    }
    for (const [key, net] of Object.entries(service.networks)) {
      if (!spec.networks[key]) {
        report(
          issues,
          pathOf(net, [...servicePath, "networks", key]),
          `service "${service.name}" uses undefined network "${key}"`,
        );
      }
    }
    if (service.networkMode !== undefined && Object.keys(service.networks).length > 0) {
      report(
        issues,
        [...servicePath, "network_mode"],
        "network_mode and networks cannot be used together",
      );
    }
    for (const mount of service.mounts) {
      if (mount.type === "volume" && mount.source !== undefined && !spec.volumes[mount.source]) {
        report(
          issues,
          pathOf(mount, [...servicePath, "volumes"]),
          `service "${service.name}" mounts undefined volume "${mount.source}": declare it under the top-level volumes:`,
        );
      }
    }
    for (const [kind, refs, defined] of [
      ["secret", service.secrets, spec.secrets],
      ["config", service.configs, spec.configs],
    ] as const) {
      for (const ref of refs) {
        if (!defined[ref.source]) {
          report(
            issues,
            pathOf(ref, [...servicePath, `${kind}s`]),
            `service "${service.name}" uses undefined ${kind} "${ref.source}"`,
          );
        }
      }
    }
    if (service.containerName !== undefined && service.deploy.replicas > 1) {
      report(
        issues,
        [...servicePath, "container_name"],
        `container_name "${service.containerName}" cannot be used with ${service.deploy.replicas} replicas: container names are unique`,
      );
    }
  }

  checkPorts(
    spec,
    (port) => pathOf(port, ["services"]),
    (path, message) => report(issues, path, message),
  );
  checkCycles(
    spec,
    (obj, fallback) => pathOf(obj, fallback),
    (path, message) => report(issues, path, message),
  );
  return { issues: byPosition(issues), warnings: byPosition(warnings) };
}

function ipsOverlap(a: string | undefined, b: string | undefined): boolean {
  return WILDCARD_IPS.has(a) || WILDCARD_IPS.has(b) || a === b;
}

function checkPorts(
  spec: StackSpec,
  pathOf: (port: PortSpec) => DocPath,
  report: (path: DocPath, message: string) => void,
): void {
  const seen: { service: string; port: PortSpec }[] = [];
  for (const service of Object.values(spec.services)) {
    for (const port of service.ports) {
      if (port.published === undefined) continue;
      const clash = seen.find(
        (s) =>
          s.port.published === port.published &&
          s.port.protocol === port.protocol &&
          ipsOverlap(s.port.hostIp, port.hostIp),
      );
      if (clash) {
        const addr = (p: PortSpec): string => (p.hostIp === undefined ? "" : `${p.hostIp}:`);
        const where = formatPath(pathOf(clash.port));
        report(
          pathOf(port),
          `host port ${addr(port)}${port.published}/${port.protocol} is already published by service "${clash.service}" as ${addr(clash.port)}${clash.port.published}/${clash.port.protocol} (${where})`,
        );
      } else seen.push({ service: service.name, port });
    }
  }
}

function checkCycles(
  spec: StackSpec,
  pathOf: (obj: object, fallback: DocPath) => DocPath,
  report: (path: DocPath, message: string) => void,
): void {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, "visiting");
    stack.push(name);
    const service = spec.services[name];
    for (const [dep, depSpec] of Object.entries(service?.dependsOn ?? {}).sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      if (!spec.services[dep]) continue;
      const s = state.get(dep);
      if (s === "visiting") {
        const cycle = stack.slice(stack.indexOf(dep));
        // The same cycle found from another start is reported once.
        const canonical = [...cycle].sort().join(",");
        if (!reported.has(canonical)) {
          reported.add(canonical);
          report(
            pathOf(depSpec, ["services", name, "depends_on", dep]),
            `dependency cycle: ${[...cycle, dep].join(" -> ")}`,
          );
        }
      } else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of Object.keys(spec.services).sort()) if (!state.has(name)) visit(name);
}
