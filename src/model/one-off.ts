/**
 * What a one-off container of a service (`stack run`) runs, as compose's `run` derives it
 * from the service: PURE, shared by both drivers (a container on the docker driver, a job
 * service on swarm). Published ports and `container_name:` are dropped (several one-offs may
 * run beside the replicas), the restart policy is `none`, and the command, entrypoint,
 * environment, user, working directory and extra mounts are the caller's.
 */
import type { MountSpec, ServiceSpec } from "./types.js";

/** What `stack run` changes in the service's configuration. */
export interface OneOffSettings {
  /** Replaces the service's command when given. */
  readonly cmd?: readonly string[];
  /** Replaces the entrypoint when given (then the image's command is not used either). */
  readonly entrypoint?: readonly string[];
  /** `KEY=VALUE` entries over the service's environment. */
  readonly env: readonly string[];
  readonly mounts: readonly MountSpec[];
  readonly user?: string;
  readonly workingDir?: string;
  readonly tty: boolean;
  /** Keep stdin open for an attached client. */
  readonly stdin: boolean;
}

/** The service as a one-off runs it (see the module comment). */
export function oneOffService(service: ServiceSpec, settings: OneOffSettings): ServiceSpec {
  const environment: Record<string, string | null> = { ...service.environment };
  for (const entry of settings.env) {
    const eq = entry.indexOf("=");
    if (eq > 0) environment[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const targets = new Set(settings.mounts.map((m) => m.target));
  const { containerName: _name, command: _command, entrypoint: _entrypoint, ...rest } = service;
  const command =
    settings.cmd !== undefined && settings.cmd.length > 0
      ? settings.cmd
      : settings.entrypoint !== undefined
        ? undefined
        : service.command;
  const entrypoint = settings.entrypoint ?? service.entrypoint;
  return {
    ...rest,
    ...(command !== undefined && { command }),
    ...(entrypoint !== undefined && { entrypoint }),
    environment,
    ports: [],
    mounts: [...service.mounts.filter((m) => !targets.has(m.target)), ...settings.mounts],
    ...(settings.user !== undefined && { user: settings.user }),
    ...(settings.workingDir !== undefined && { workingDir: settings.workingDir }),
    deploy: { ...service.deploy, restartPolicy: { condition: "none" } },
  };
}
