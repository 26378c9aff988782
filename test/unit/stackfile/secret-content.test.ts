import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceConfigHash } from "../../../src/model/config-hash.js";
import {
  fileObjectContent,
  maskSecretValues,
  withSecretContents,
} from "../../../src/stackfile/secret-content.js";
import { SpecError } from "../../../src/stackfile/errors.js";
import type { StackSpec } from "../../../src/model/types.js";
import { buildService, buildStack } from "../../integration/docker/helpers.js";

function stackWith(file: string): StackSpec {
  const service = buildService("web", {
    secrets: [
      { source: "pw", target: "/run/secrets/pw" },
      { source: "token", target: "/run/secrets/token" },
    ],
  });
  return {
    ...buildStack("s", [service]),
    secrets: {
      pw: { key: "pw", name: "s_pw", external: false, file, labels: {} },
      token: { key: "token", name: "s_token", external: false, environment: "TOKEN", labels: {} },
    },
  };
}

describe("withSecretContents", () => {
  const dir = mkdtempSync(join(tmpdir(), "secret-content-"));
  const file = join(dir, "pw.txt");

  it("keeps content out of the spec and changes the config hash when content changes", async () => {
    writeFileSync(file, "correct horse");
    const a = await withSecretContents(stackWith(file), { TOKEN: "tok-1111" });
    const again = await withSecretContents(stackWith(file), { TOKEN: "tok-1111" });
    const web = (s: StackSpec) => s.services["web"]!;
    expect(serviceConfigHash(web(a))).toBe(serviceConfigHash(web(again)));
    const json = JSON.stringify(a);
    expect(json).not.toContain("correct horse");
    expect(json).not.toContain("tok-1111");
    expect(fileObjectContent(a.secrets["pw"]!)?.toString()).toBe("correct horse");
    expect(fileObjectContent(a.secrets["token"]!)?.toString()).toBe("tok-1111");

    const rotated = await withSecretContents(stackWith(file), { TOKEN: "tok-2222" });
    expect(serviceConfigHash(web(rotated))).not.toBe(serviceConfigHash(web(a)));
    writeFileSync(file, "battery staple");
    const edited = await withSecretContents(stackWith(file), { TOKEN: "tok-1111" });
    expect(serviceConfigHash(web(edited))).not.toBe(serviceConfigHash(web(a)));
  });

  it("reports an unset variable and a missing file by name, never by content", async () => {
    const err = await withSecretContents(stackWith(join(dir, "missing")), {}).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).issues.map((i) => i.path)).toEqual([
      "secrets.pw.file",
      "secrets.token.environment",
    ]);
    expect((err as SpecError).message).toMatch(/TOKEN is not set/);
    expect((err as SpecError).message).toMatch(/ENOENT/);
  });
});

describe("maskSecretValues", () => {
  it("masks every occurrence, longest first, and leaves very short values alone", () => {
    expect(
      maskSecretValues("a: hunter22\nb: xhunter22y\nc: ab", ["hunter2", "hunter22", "ab"]),
    ).toBe("a: ********\nb: x********y\nc: ab");
  });
});
