import type { DocPath } from "../document.js";
import type { RestartCondition, RestartPolicySpec } from "../../model/types.js";
import { parseDuration } from "../units.js";
import type { NormaliseContext } from "./normalise-context.js";
import { int, isObject, str } from "./values.js";

const DEPLOY_CONDITIONS: readonly RestartCondition[] = ["none", "on-failure", "any"];

function fromRestart(value: string, path: DocPath, ctx: NormaliseContext): RestartPolicySpec {
  if (value === "no") return { condition: "none" };
  // Both are swarm's `any`; the engine keeps them apart (an unless-stopped container stopped
  // by hand stays stopped after an engine restart), so the docker driver gets the difference.
  if (value === "always") return { condition: "any" };
  if (value === "unless-stopped") return { condition: "any", unlessStopped: true };
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
 * - `restart:` maps `no` -> none, `always` -> any, `unless-stopped` -> any marked
 *   `unlessStopped`, `on-failure[:N]` -> on-failure with maxAttempts N. (The service keeps
 *   `restart:` as written in `ServiceSpec.restart` either way.)
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
