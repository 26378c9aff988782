import { describe, expect, it } from "vitest";
import { normaliseDependsOn } from "../../../../src/stackfile/canonical/depends-on.js";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(yaml: string) {
  const doc = docFromYaml(yaml);
  const ctx = new NormaliseContext(doc);
  const deps = normaliseDependsOn(
    (doc.value as { depends_on: unknown }).depends_on,
    ["depends_on"],
    ctx,
  );
  return { deps: Object.fromEntries(deps), issues: ctx.issues };
}

describe("depends_on", () => {
  it("turns the list form into service_started, required dependencies", () => {
    expect(run("depends_on: [db, cache]\n").deps).toEqual({
      db: { condition: "service_started", restart: false, required: true },
      cache: { condition: "service_started", restart: false, required: true },
    });
  });

  it("reads the map form with condition, restart and required", () => {
    const { deps, issues } = run(
      "depends_on:\n  db:\n    condition: service_healthy\n    restart: true\n  migrate:\n    condition: service_completed_successfully\n  opt:\n    required: false\n",
    );
    expect(issues).toEqual([]);
    expect(deps).toEqual({
      db: { condition: "service_healthy", restart: true, required: true },
      migrate: { condition: "service_completed_successfully", restart: false, required: true },
      opt: { condition: "service_started", restart: false, required: false },
    });
  });

  it("locates an unknown condition", () => {
    const { issues } = run("depends_on:\n  db:\n    condition: service_ready\n");
    expect(issues).toEqual([
      expect.objectContaining({
        path: "depends_on.db.condition",
        pos: expect.objectContaining({ line: 3 }),
      }),
    ]);
  });
});
