import { describe, expect, it } from "vitest";
import { colorEnabled, isInteractive, terminalWidth } from "../../../src/ui/terminal.js";

describe("terminal decisions", () => {
  it("lays out for the terminal's width, 80 when unknown, never below 40", () => {
    expect(terminalWidth({ columns: 132 })).toBe(132);
    expect(terminalWidth({})).toBe(80);
    expect(terminalWidth({ columns: 0 })).toBe(80);
    expect(terminalWidth({ columns: 20 })).toBe(40);
  });

  it("colours terminals only, NO_COLOR turns it off, FORCE_COLOR on, NO_COLOR wins", () => {
    const tty = { isTTY: true };
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
    expect(colorEnabled(tty, { TERM: "dumb" })).toBe(false);
  });

  it("runs live only on a terminal that can redraw", () => {
    expect(isInteractive({ isTTY: true }, {})).toBe(true);
    expect(isInteractive({ isTTY: false }, {})).toBe(false);
    expect(isInteractive({}, {})).toBe(false);
    expect(isInteractive({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });
});
