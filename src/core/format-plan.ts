import type { Plan } from "./operation.js";

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
    const width = Math.max(0, ...plan.operations.map((op) => op.text.length));
    for (const op of plan.operations) lines.push(`  ${op.text.padEnd(width)}  (${op.cause})`);
  }
  for (const blocker of blockers) lines.push(`error: ${blocker}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}
