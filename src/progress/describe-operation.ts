/**
 * One short phrase naming what an operation does, e.g. `create container app_web.3`; the same
 * words `deploy --dry-run` prints, so progress lines match the plan.
 */
export { describePlannedOperation as describeOperation } from "../core/format-plan.js";
