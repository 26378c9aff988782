import { describe, expect, it } from "vitest";
import { normaliseCommand, shellSplit } from "../../../../src/stackfile/canonical/command.js";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { docFromYaml } from "../normalise-fixture.js";

describe("shellSplit", () => {
  it.each([
    ["redis-server --appendonly yes", ["redis-server", "--appendonly", "yes"]],
    [`sh -c 'echo "hi there"; sleep 1'`, ["sh", "-c", `echo "hi there"; sleep 1`]],
    [`echo "a \\"quoted\\" \\$HOME"`, ["echo", `a "quoted" $HOME`]],
    [`echo "keep \\n as is"`, ["echo", "keep \\n as is"]],
    [`a\\ b c`, ["a b", "c"]],
    [`  spaced   out  `, ["spaced", "out"]],
    [`empty '' ""`, ["empty", "", ""]],
    [`x'y'"z"`, ["xyz"]],
    ["", []],
  ])("%j", (input, words) => {
    expect(shellSplit(input)).toEqual(words);
  });

  it.each([`echo 'open`, `echo "open`, `trailing \\`])("reports %j", (input) => {
    expect(typeof shellSplit(input)).toBe("string");
  });
});

describe("normaliseCommand", () => {
  const ctx = () => new NormaliseContext(docFromYaml("command: x\n"));

  it("keeps a list, splits a string, leaves null or absent undefined", () => {
    const c = ctx();
    expect(normaliseCommand(["sh", "-c", "echo $$HOME"], ["command"], c)).toEqual([
      "sh",
      "-c",
      "echo $$HOME",
    ]);
    expect(normaliseCommand([1, true], ["command"], c)).toEqual(["1", "true"]);
    expect(normaliseCommand("npm start", ["command"], c)).toEqual(["npm", "start"]);
    expect(normaliseCommand(null, ["command"], c)).toBeUndefined();
    expect(normaliseCommand(undefined, ["command"], c)).toBeUndefined();
    expect(c.issues).toEqual([]);
  });

  it("locates an unterminated quote", () => {
    const c = ctx();
    expect(normaliseCommand("echo 'x", ["command"], c)).toBeUndefined();
    expect(c.issues[0]).toMatchObject({
      path: "command",
      pos: { line: 1, col: 10 },
      message: expect.stringContaining("unterminated"),
    });
  });
});
