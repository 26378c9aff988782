/**
 * A one-off container of a service (`stack run`) as an engine create body. PURE: derived
 * from the replica mapping (container-config.ts) so a one-off gets exactly the service's
 * configuration, networks, mounts, secrets and limits, with what compose's `run` changes:
 *
 * - no published ports (a one-off must not take the service's host ports);
 * - restart policy `no`, and never `container_name:` (several one-offs may run at once);
 * - no network alias of the service name, so the service's DNS name (and the ingress that
 *   balances over it) never sends traffic to a one-off;
 * - labelled `stack.role=run` without a slot: observation keeps it apart from replicas, the
 *   planner never sees it, `stack ps` shows it and `stack rm` removes it;
 * - command, entrypoint, environment, user, working directory and extra mounts as given;
 * - stdin kept open (and closed with ours, `StdinOnce`) when it is attached, and a TTY when
 *   asked for.
 */
import { LABELS } from "../docker-api/labels.js";
import { oneOffService, type OneOffSettings } from "../../model/one-off.js";
import {
  containerCreatePlan,
  type ContainerConfigInput,
  type ContainerCreatePlan,
} from "./container-config.js";

export type { OneOffSettings };

/** The create plan of one-off `input.name` of `input.service`. */
export function oneOffCreatePlan(
  input: ContainerConfigInput,
  settings: OneOffSettings,
): ContainerCreatePlan {
  const service = oneOffService(input.service, settings);
  const plan = containerCreatePlan({ ...input, service });
  const labels: Record<string, string> = { ...plan.body.Labels, [LABELS.role]: "run" };
  delete labels[LABELS.slot];
  const endpoints = plan.body.NetworkingConfig?.EndpointsConfig;
  const unaliased = (e: { readonly Aliases: readonly string[] }) => ({
    ...e,
    Aliases: e.Aliases.filter((a) => a !== input.service.name),
  });
  return {
    name: input.name,
    body: {
      ...plan.body,
      // An entrypoint given without a command must not run the image's command after it.
      ...(settings.entrypoint !== undefined && service.command === undefined && { Cmd: [] }),
      Labels: labels,
      Tty: settings.tty,
      OpenStdin: settings.stdin,
      ...(settings.stdin && { StdinOnce: true, AttachStdin: true }),
      AttachStdout: true,
      AttachStderr: true,
      ...(endpoints !== undefined && {
        NetworkingConfig: {
          EndpointsConfig: Object.fromEntries(
            Object.entries(endpoints).map(([k, e]) => [k, unaliased(e)]),
          ),
        },
      }),
    },
    connectAfterCreate: plan.connectAfterCreate.map((c) => ({
      network: c.network,
      endpoint: unaliased(c.endpoint),
    })),
  };
}
