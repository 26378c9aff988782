import { describe, expect, it } from "vitest";
import { serviceConfigHash } from "../../../src/model/config-hash.js";
import { normaliseYaml } from "../stackfile/normalise-fixture.js";

function hashOf(yaml: string, env: Record<string, string> = {}): string {
  const { spec, issues } = normaliseYaml(yaml, { environment: env });
  expect(issues).toEqual([]);
  const web = spec.services["web"];
  if (!web) throw new Error("no web service");
  return serviceConfigHash(web);
}

const BASE = `
services:
  web:
    image: nginx:1.27
    environment: { A: "1", B: "2" }
    ports: ["8080:80"]
    deploy: { replicas: 2, resources: { limits: { memory: 50M } } }
    depends_on: [db]
  db:
    image: db
`;

describe("serviceConfigHash over normalised specs", () => {
  const base = hashOf(BASE);

  it("is stable whatever the key order in the file", () => {
    const reordered = `
services:
  db:
    image: db
  web:
    depends_on: [db]
    deploy: { resources: { limits: { memory: 52428800 } }, replicas: 2 }
    ports: ["8080:80"]
    environment: [B=2, A=1]
    image: nginx:1.27
`;
    expect(hashOf(reordered)).toBe(base);
  });

  it("ignores replicas and depends_on", () => {
    expect(hashOf(BASE.replace("replicas: 2", "replicas: 7"))).toBe(base);
    expect(
      hashOf(
        BASE.replace("depends_on: [db]", "depends_on: { db: { condition: service_healthy } }"),
      ),
    ).toBe(base);
    expect(hashOf(BASE.replace("    depends_on: [db]\n", ""))).toBe(base);
  });

  it("changes with the image and the environment", () => {
    expect(hashOf(BASE.replace("nginx:1.27", "nginx:1.28"))).not.toBe(base);
    expect(hashOf(BASE.replace('B: "2"', 'B: "3"'))).not.toBe(base);
    expect(hashOf(BASE.replace('B: "2"', "B:"), { B: "2" })).toBe(base);
    expect(hashOf(BASE.replace('B: "2"', "B:"), { B: "4" })).not.toBe(base);
  });
});

describe("serviceConfigHash and the defaulted restart policy", () => {
  it("is the same with no restart policy as with restart: no (only swarm reads the difference)", () => {
    const none = `services:\n  web:\n    image: nginx:1.27\n`;
    const explicit = `services:\n  web:\n    image: nginx:1.27\n    restart: "no"\n`;
    expect(hashOf(none)).toBe(hashOf(explicit));
    expect(hashOf(none)).not.toBe(hashOf(explicit.replace('"no"', "always")));
  });
});
