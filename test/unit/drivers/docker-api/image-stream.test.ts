import { describe, expect, it } from "vitest";
import {
  ImageStreamTracker,
  streamErrorMessage,
} from "../../../../src/drivers/docker-api/image-stream.js";
import { splitTag } from "../../../../src/drivers/docker-api/pull-image.js";

describe("ImageStreamTracker", () => {
  it("reports each layer, and image bytes that never go backwards when extraction restarts at 0", () => {
    const t = new ImageStreamTracker("r/app:1", "pull");
    const reports = [
      { status: "Pulling from r/app", id: "1" },
      { status: "Already exists", progressDetail: {}, id: "5c16dd92a19b" },
      { status: "Pulling fs layer", progressDetail: {}, id: "f8f49f90413a" },
      { status: "Downloading", progressDetail: { current: 1000, total: 3000 }, id: "f8f49f90413a" },
      { status: "Download complete", progressDetail: {}, id: "f8f49f90413a" },
      { status: "Extracting", progressDetail: { current: 10, total: 12000 }, id: "f8f49f90413a" },
      { status: "Pull complete", progressDetail: {}, id: "f8f49f90413a" },
      { status: "Digest: sha256:76264102" },
    ].map((m) => t.handle(m));
    expect(reports[0]).toEqual({ image: "r/app:1", status: "Pulling from r/app" });
    expect(reports[3]?.layer).toEqual({
      id: "f8f49f90413a",
      status: "Downloading",
      currentBytes: 1000,
      totalBytes: 3000,
    });
    expect(reports.map((r) => r?.currentBytes)).toEqual([
      undefined,
      undefined,
      undefined,
      1000,
      3000,
      3000,
      3000,
      3000,
    ]);
    expect(reports[6]?.status).toBe("pulling 2 layers (0 active, 2 done)");
    expect(t.failure).toBeUndefined();
  });

  it("keeps the first in-stream failure and a push's digest; clamps a push's current to its total", () => {
    const t = new ImageStreamTracker("r/app:1", "push");
    const r = t.handle({
      status: "Pushing",
      progressDetail: { current: 3001856, total: 3000000 },
      id: "ba195aa6d2de",
    });
    expect(r?.currentBytes).toBe(3000000);
    t.handle({ progressDetail: {}, aux: { Tag: "1", Digest: "sha256:abc", Size: 951 } });
    expect(t.digest).toBe("sha256:abc");
    t.handle({ errorDetail: { message: "no basic auth credentials" }, error: "x" });
    t.handle({ error: "later" });
    expect(t.failure).toBe("no basic auth credentials");
  });
});

describe("streamErrorMessage / splitTag", () => {
  it("drops dockerode's HTTP prefix from a streamed request's error", () => {
    expect(
      streamErrorMessage(
        new Error("(HTTP code 404) unexpected - manifest for r/a:1 not found: manifest unknown "),
      ),
    ).toBe("manifest for r/a:1 not found: manifest unknown");
  });

  it("splits a reference into repository and tag (latest by default; none for a digest)", () => {
    expect(splitTag("127.0.0.1:15410/a/b:v2")).toEqual({ repo: "127.0.0.1:15410/a/b", tag: "v2" });
    expect(splitTag("127.0.0.1:15410/a/b")).toEqual({ repo: "127.0.0.1:15410/a/b", tag: "latest" });
    expect(splitTag("a/b@sha256:00")).toEqual({ repo: "a/b@sha256:00" });
  });
});
