/**
 * The docker driver: a stack as plain containers, networks and volumes on one engine, found
 * by label. It plans replicas itself (slots, rolling updates, restarts under `--watch`); the
 * engine runs them.
 */
import type {
  ContainerStats,
  Deployment,
  Driver,
  DriverIssues,
  Removal,
} from "../../core/driver.js";
import type { ObservedContainer } from "../../core/replica.js";
import { serviceRows, type ServiceRow } from "../../core/views.js";
import { ingressImage, ingressRoutes } from "../../model/ingress.js";
import type { StackSpec } from "../../model/types.js";
import { withSecretContents } from "../../stackfile/secret-content.js";
import { ApiDriver } from "../docker-api/api-driver.js";
import type { DockerEnv } from "../docker-api/connection.js";
import type { ContainerEngine } from "./container-engine.js";
import { DockerEngine } from "./docker-engine.js";
import type { DockerObservedState, ObserveWants } from "./observed-state.js";
import type { DockerOperation } from "./operations.js";
import { planRemove } from "./plan-remove.js";
import { dockerDriverIssues, dockerDriverWarnings } from "./preflight.js";
import { reconcile } from "./reconcile.js";
import { dockerRunner } from "./run-operation.js";
import { supervise } from "./supervise.js";
import { waitForStack } from "./wait-stack.js";

/** Images to check for presence and external objects to check for existence. */
function wantedObjects(spec: StackSpec): ObserveWants {
  const images = [
    ...new Set([
      ...Object.values(spec.services).map((s) => s.image),
      ...(ingressRoutes(spec).length > 0 ? [ingressImage(spec)] : []),
    ]),
  ].sort();
  const externalNetworks = Object.values(spec.networks)
    .filter((n) => n.external)
    .map((n) => n.name)
    .sort();
  const externalVolumes = Object.values(spec.volumes)
    .filter((v) => v.external)
    .map((v) => v.name)
    .sort();
  return { images, externalNetworks, externalVolumes, engineStart: true };
}

/**
 * A deploy of `spec` (its secret contents already read) on `engine`: the steps the core's
 * converge loop drives, plus `--wait` and `--watch`.
 */
export function dockerDeployment(
  engine: ContainerEngine,
  spec: StackSpec,
): Deployment<DockerObservedState, DockerOperation> {
  const wants = wantedObjects(spec);
  const deployment: Deployment<DockerObservedState, DockerOperation> = {
    spec,
    observe: () => engine.observe(spec.name, wants),
    plan: (observed, options) => reconcile(spec, observed, options),
    runner: (plan, context) => dockerRunner(engine, plan, context),
    waitReady: (options) => waitForStack(spec, { ...options, engine }),
    watch: async (options) => {
      options.sink.emit({
        type: "info",
        message: `watching stack ${spec.name}; Ctrl-C stops watching and leaves it running`,
      });
      await supervise(deployment, { ...options, engine });
    },
  };
  return deployment;
}

/** The docker driver over a {@link ContainerEngine}. */
export class DockerDriver extends ApiDriver<ContainerEngine> implements Driver {
  readonly name = "docker" as const;

  /** The driver for the engine `env` names (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
  static fromEnv(env: DockerEnv): DockerDriver {
    return new DockerDriver(DockerEngine.fromEnv(env));
  }

  async preflight(spec: StackSpec): Promise<DriverIssues> {
    return {
      errors: dockerDriverIssues(spec),
      warnings: dockerDriverWarnings(spec),
      ignoredSettings: [],
    };
  }

  async prepare(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<Deployment> {
    // Secret and config content is read once, here: the runner writes it into each replica,
    // and its keyed digest joins the config hash so changed content rolls the service.
    return dockerDeployment(this.engine, await withSecretContents(spec, env));
  }

  async planRemoval(stack: string, options: { readonly volumes: boolean }): Promise<Removal> {
    const observed = await this.engine.observe(stack);
    const plan = planRemove(observed, options);
    const notes =
      plan.operations.length > 0 && !options.volumes && observed.volumes.length > 0
        ? [
            `kept ${observed.volumes.length} volume(s) of stack ${stack}: ${observed.volumes
              .map((v) => v.name)
              .sort()
              .join(", ")} (remove them with --volumes)`,
          ]
        : [];
    return {
      plan,
      runner: (context) => dockerRunner(this.engine, plan, context),
      notes,
    };
  }

  async replicas(stack: string): Promise<readonly ObservedContainer[]> {
    return (await this.engine.observe(stack)).containers;
  }

  async services(stack: string): Promise<readonly ServiceRow[]> {
    return serviceRows(await this.replicas(stack));
  }

  stats(id: string): Promise<ContainerStats> {
    return this.engine.stats(id);
  }
}
