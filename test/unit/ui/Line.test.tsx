import { afterAll, describe, expect, it } from "vitest";

// Ink colours through chalk, which reads FORCE_COLOR when first imported: set it before
// loading Ink so this file sees what a colour terminal gets.
const previous = process.env["FORCE_COLOR"];
process.env["FORCE_COLOR"] = "1";
const { render, cleanup } = await import("ink-testing-library");
const { Line } = await import("../../../src/ui/Line.js");

afterAll(() => {
  cleanup();
  if (previous === undefined) delete process.env["FORCE_COLOR"];
  else process.env["FORCE_COLOR"] = previous;
});

const ESC = String.fromCharCode(27);

describe("Line", () => {
  const segments = [{ text: "web.2  " }, { text: "exited (137)", tone: "bad" as const }];

  it("colours by tone on a colour terminal", () => {
    const frame = render(<Line segments={segments} width={80} color={true} />).lastFrame() ?? "";
    expect(frame).toBe(`web.2  ${ESC}[31mexited (137)${ESC}[39m`);
  });

  it("writes no escape codes at all when colour is off (NO_COLOR), even if forced", () => {
    expect(render(<Line segments={segments} width={80} color={false} />).lastFrame()).toBe(
      "web.2  exited (137)",
    );
  });

  it("cuts at the width with an ellipsis, never leaving a blank before it", () => {
    expect(render(<Line segments={segments} width={12} color={false} />).lastFrame()).toBe(
      "web.2  exit…",
    );
    expect(render(<Line segments={segments} width={8} color={false} />).lastFrame()).toBe("web.2…");
  });

  it("draws an inverse segment (the console's cursor row) in inverse video", () => {
    const selected = segments.map((s) => ({ ...s, inverse: true }));
    const frame = render(<Line segments={selected} width={80} color={true} />).lastFrame() ?? "";
    expect(frame).toContain(`${ESC}[7mweb.2  `);
    expect(render(<Line segments={selected} width={80} color={false} />).lastFrame()).toBe(
      "web.2  exited (137)",
    );
  });
});
