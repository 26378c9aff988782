import { describe, expect, it } from "vitest";
import { JsonSink } from "../../../src/progress/json-sink.js";
import { PlainSink } from "../../../src/progress/plain-sink.js";

describe("PlainSink", () => {
  it("labels build output as a build, line by line, and pulls as pulls", () => {
    const out: string[] = [];
    const sink = new PlainSink((line) => out.push(line));
    const image = "realmb/microblog:latest";
    sink.emit({ type: "build-progress", image, line: "Step 1/13 : FROM debian-base:bookworm" });
    sink.emit({ type: "build-progress", image, line: " ---> b9c4a35a83bf" });
    sink.emit({ type: "build-progress", image, line: " ---> b9c4a35a83bf" });
    sink.emit({ type: "build-progress", image, line: "Step 2/13 : RUN pip install flask" });
    sink.emit({ type: "pull-progress", image: "redis:7", status: "Downloading" });
    expect(out.join("")).toBe(
      [
        "  build   realmb/microblog:latest: Step 1/13 : FROM debian-base:bookworm",
        "  build   realmb/microblog:latest:  ---> b9c4a35a83bf",
        "  build   realmb/microblog:latest: Step 2/13 : RUN pip install flask",
        "  pull    redis:7: Downloading",
        "",
      ].join("\n"),
    );
  });
});

describe("PlainSink hook output", () => {
  it("prints a hook's line as compose does, container -> line", () => {
    const out: string[] = [];
    const sink = new PlainSink((line) => out.push(line));
    sink.emit({
      type: "hook-output",
      service: "web",
      container: "demo_web.1",
      hook: "post_start[0]",
      line: "warmed up",
    });
    expect(out).toEqual(["demo_web.1 -> warmed up\n"]);
  });
});

describe("PlainSink layers", () => {
  it("prints a line per layer and status (a download's size once), pushes as pushes", () => {
    const out: string[] = [];
    const sink = new PlainSink((line) => out.push(line));
    const layer = (status: string, currentBytes?: number) => ({
      id: "f8f49f90413a",
      status,
      ...(currentBytes !== undefined && { currentBytes, totalBytes: 3_000_000 }),
    });
    for (const [status, bytes] of [
      ["Downloading", 1000],
      ["Downloading", 2000],
      ["Download complete", 3_000_000],
      ["Pull complete", 3_000_000],
    ] as const)
      sink.emit({
        type: "pull-progress",
        image: "r/a:1",
        status: "pulling",
        layer: layer(status, bytes),
      });
    sink.emit({ type: "push-progress", image: "r/a:1", status: "x", layer: layer("Pushed") });
    expect(out.join("")).toBe(
      [
        "  pull    r/a:1: layer f8f49f90413a: Downloading (3.0MB)",
        "  pull    r/a:1: layer f8f49f90413a: Download complete",
        "  pull    r/a:1: layer f8f49f90413a: Pull complete",
        "  push    r/a:1: layer f8f49f90413a: Pushed",
        "",
      ].join("\n"),
    );
  });
});

describe("JsonSink", () => {
  it("writes a hook's line as a hook-output object", () => {
    const out: string[] = [];
    const sink = new JsonSink(
      (line) => out.push(line),
      () => new Date("2026-01-01T00:00:00Z"),
    );
    const event = {
      type: "hook-output",
      service: "web",
      container: "demo_web.1",
      hook: "pre_stop[0]",
      line: "draining",
    } as const;
    sink.emit(event);
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: "2026-01-01T00:00:00.000Z", ...event },
    ]);
  });

  it("writes a build line as a build-progress object", () => {
    const out: string[] = [];
    const sink = new JsonSink(
      (line) => out.push(line),
      () => new Date("2026-01-01T00:00:00Z"),
    );
    sink.emit({ type: "build-progress", image: "app:latest", line: "Step 1/2 : FROM base" });
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        time: "2026-01-01T00:00:00.000Z",
        type: "build-progress",
        image: "app:latest",
        line: "Step 1/2 : FROM base",
      },
    ]);
  });
});
