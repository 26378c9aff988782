import type { DocPath } from "../document.js";
import type { DependencyCondition, DependencySpec } from "../../model/types.js";
import type { NormaliseContext } from "./normalise-context.js";
import { bool, isObject, str } from "./values.js";

const CONDITIONS: readonly DependencyCondition[] = [
  "service_started",
  "service_healthy",
  "service_completed_successfully",
];

/**
 * Normalises `depends_on:` (a list of service names, or a map of name to `{condition,
 * restart, required}`) to DependencySpecs in file order. Defaults follow compose:
 * condition `service_started`, restart false, required true. Whether the services exist is
 * a semantic check.
 */
export function normaliseDependsOn(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
): Map<string, DependencySpec> {
  const out = new Map<string, DependencySpec>();
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item !== "string") ctx.error([...path, i], "expected a service name");
      else
        out.set(
          item,
          ctx.at({ condition: "service_started", restart: false, required: true }, [...path, i]),
        );
    });
  } else if (isObject(value)) {
    for (const [name, raw] of Object.entries(value)) {
      const entry = isObject(raw) ? raw : {};
      const condition = str(entry["condition"]) ?? "service_started";
      if (!(CONDITIONS as readonly string[]).includes(condition)) {
        ctx.error(
          [...path, name, "condition"],
          `unknown condition "${condition}": expected ${CONDITIONS.join(", ")}`,
        );
        continue;
      }
      out.set(
        name,
        ctx.at(
          {
            condition: condition as DependencyCondition,
            restart: bool(entry["restart"]) ?? false,
            required: bool(entry["required"]) ?? true,
          },
          [...path, name],
        ),
      );
    }
  }
  return out;
}
