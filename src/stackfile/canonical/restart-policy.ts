import type { DocPath } from "../document.js";
import type { RestartCondition, RestartPolicySpec } from "../../model/types.js";
import { parseDuration } from "../units.js";
import type { NormaliseContext } from "./normalise-context.js";
import { int, isObject, str } from "./values.js";

const DEPLOY_CONDITIONS: readonly RestartCondition[] = ["none", "on-failure", "any"];

function fromRestart(value: string, path: DocPath, ctx: NormaliseContext): RestartPolicySpec {
  if (value === "no") return { condition: "none" };
  // Both map to swarm's `any`; the difference (unless-stopped survives a daemon restart only
  // when it was not stopped by hand) has no equivalent in a restart policy.
  if (value === "always" || value === "unless-stopped") return { condition: "any" };
  const m = /^on-failure(?::(\d+))?$/.exec(value);
  if (m)
    return m[1] === undefined
      ? { condition: "on-failure" }
      : { condition: "on-failure", maxAttempts: Number(m[1]) };
  ctx.error(
    path,
    `unknown restart policy "${value}": expected no, always, on-failure[:N] or unless-stopped`,
  );
  return { condition: "none" };
}

/**
 * Chooses a service's restart policy from `deploy.restart_policy` and `restart:`.
 *
 * - `deploy.restart_policy` wins when both are given (as in swarm); its condition defaults
 *   to `any` (swarm's default), `delay` and `window` become ms, `max_attempts` is kept.
 * - `restart:` maps `no` -> none, `always` and `unless-stopped` -> any, `on-failure[:N]` ->
 *   on-failure with maxAttempts N.
 * - Neither given -> `none` marked `defaulted`: compose's engine default for the docker
 *   driver; the swarm driver turns it into swarm's default `any` (see `swarmServiceSpec`).
 */
export function normaliseRestartPolicy(
  service: Readonly<Record<string, unknown>>,
  path: DocPath,
  ctx: NormaliseContext,
): RestartPolicySpec {
  const deploy = service["deploy"];
  const policy = isObject(deploy) ? deploy["restart_policy"] : undefined;
  if (isObject(policy)) {
    const policyPath = [...path, "deploy", "restart_policy"];
    const condition = str(policy["condition"]) ?? "any";
    if (!(DEPLOY_CONDITIONS as readonly string[]).includes(condition)) {
      ctx.error(
        [...policyPath, "condition"],
        `unknown restart condition "${condition}": expected none, on-failure or any`,
      );
    }
    const duration = (key: string): number | undefined => {
      const v = policy[key];
      return typeof v === "string" || typeof v === "number"
        ? ctx.unit(parseDuration(v), [...policyPath, key])
        : undefined;
    };
    const delayMs = duration("delay");
    const windowMs = duration("window");
    const maxAttempts = int(policy["max_attempts"]);
    return {
      condition: (DEPLOY_CONDITIONS as readonly string[]).includes(condition)
        ? (condition as RestartCondition)
        : "none",
      ...(delayMs !== undefined ? { delayMs } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(windowMs !== undefined ? { windowMs } : {}),
    };
  }
  const restart = str(service["restart"]);
  if (restart !== undefined) return fromRestart(restart, [...path, "restart"], ctx);
  return { condition: "none", defaulted: true };
}
