import type { Operation, Plan } from "./operation.js";

/** `250ms`, `1.5s`, `10s`: update_config.delay as a user wrote it. */
function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * One short phrase naming what an operation does, e.g. `create container app_web.3` or
 * `replace container app_web.1 start-first`; the same wording as the progress sinks use.
 */
export function describePlannedOperation(op: Operation): string {
  switch (op.kind) {
    case "pull-image":
      return `pull image ${op.image}`;
    case "create-network":
      return `create network ${op.name}`;
    case "remove-network":
      return `remove network ${op.name}`;
    case "create-volume":
      return `create volume ${op.name}`;
    case "remove-volume":
      return `remove volume ${op.name}`;
    case "create-container":
      return `create container ${op.name}`;
    case "start-container":
      return `start container ${op.name}`;
    case "remove-container":
      return `remove container ${op.name}`;
    case "rename-container":
      return `rename container ${op.from} to ${op.to}`;
    case "replace-container":
      return `replace container ${op.name} ${op.order}`;
    case "wait-ready":
      return `wait for ${op.service} (${op.condition.replace(/_/g, " ")})`;
    case "create-service":
      return `create service ${op.name}`;
    case "update-service":
      return `update service ${op.name}`;
    case "remove-service":
      return `remove service ${op.name}`;
    case "create-secret":
      return `create secret ${op.name}`;
    case "create-config":
      return `create config ${op.name}`;
    case "remove-secret":
      return `remove secret ${op.name}`;
    case "remove-config":
      return `remove config ${op.name}`;
    case "build-image":
      return `build image ${op.image}`;
    case "create-ingress":
      return `create ingress ${op.name}`;
    case "delay":
      return `wait ${formatMs(op.ms)} between ${op.service === undefined ? "" : `${op.service} `}update batches`;
  }
}

/**
 * Renders a plan as the text `stack deploy --dry-run` prints, ending with a newline: a
 * header with the operation count, one line per operation in plan order with its cause in
 * parentheses (causes aligned in one column), then `error:` lines for blockers and
 * `warning:` lines for warnings. A plan without operations or blockers prints
 * `No changes: stack NAME is up to date.`
 */
export function formatPlan(plan: Plan): string {
  const blockers = plan.blockers ?? [];
  const lines: string[] = [];
  if (plan.operations.length === 0 && blockers.length === 0) {
    lines.push(`No changes: stack ${plan.stack} is up to date.`);
  } else {
    const n = plan.operations.length;
    lines.push(`Plan for stack ${plan.stack}: ${n} operation${n === 1 ? "" : "s"}`);
    const described = plan.operations.map(
      (op) => [describePlannedOperation(op), op.cause] as const,
    );
    const width = Math.max(0, ...described.map(([text]) => text.length));
    for (const [text, cause] of described) lines.push(`  ${text.padEnd(width)}  (${cause})`);
  }
  for (const blocker of blockers) lines.push(`error: ${blocker}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}
