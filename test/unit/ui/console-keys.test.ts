import type { Key } from "ink";
import { describe, expect, it } from "vitest";
import { toConsoleKeys } from "../../../src/ui/run-ps-live.js";

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

describe("toConsoleKeys", () => {
  it("reads named keys and single characters", () => {
    expect(toConsoleKeys("", { ...NO_KEY, upArrow: true })).toEqual([{ input: "", name: "up" }]);
    expect(toConsoleKeys("", { ...NO_KEY, return: true })).toEqual([{ input: "", name: "enter" }]);
    expect(toConsoleKeys("", { ...NO_KEY, delete: true })).toEqual([
      { input: "", name: "backspace" },
    ]);
    expect(toConsoleKeys("c", { ...NO_KEY, ctrl: true })).toEqual([{ input: "c", ctrl: true }]);
    expect(toConsoleKeys("+", NO_KEY)).toEqual([{ input: "+" }]);
  });

  it("splits keys that arrived in one chunk (typed fast, sent together, pasted)", () => {
    expect(toConsoleKeys("j\r", NO_KEY)).toEqual([{ input: "j" }, { input: "", name: "enter" }]);
    expect(toConsoleKeys("web\u007f", NO_KEY)).toEqual([
      { input: "w" },
      { input: "e" },
      { input: "b" },
      { input: "", name: "backspace" },
    ]);
  });
});
