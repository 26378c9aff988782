import { describe, expect, it } from "vitest";
import { compareNames, containerName } from "../../../src/model/naming.js";

describe("compareNames", () => {
  it("orders names by code unit, whatever the locale", () => {
    const names = ["web", "Web", "db_2", "db-2", "api10", "api2", "api"];
    expect([...names].sort(compareNames)).toEqual([
      "Web",
      "api",
      "api10",
      "api2",
      "db-2",
      "db_2",
      "web",
    ]);
    expect(compareNames("a", "a")).toBe(0);
  });

  it("keeps replicas of one service together, slot order aside", () => {
    const rows = [
      containerName("s", "web", 2),
      containerName("s", "api", 1),
      containerName("s", "web", 1),
    ];
    expect(rows.sort(compareNames)).toEqual(["s_api.1", "s_web.1", "s_web.2"]);
  });
});
