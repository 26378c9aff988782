import { describe, expect, it } from "vitest";
import { familiarImageName } from "../../../src/model/image-name.js";

describe("familiarImageName", () => {
  it("shortens Docker Hub names and Podman's localhost/ names", () => {
    expect(familiarImageName("docker.io/library/redis:7")).toBe("redis:7");
    expect(familiarImageName("docker.io/stack-e2e/friendlyhello:x")).toBe(
      "stack-e2e/friendlyhello:x",
    );
    expect(familiarImageName("localhost/stack-test/busybox:latest")).toBe(
      "stack-test/busybox:latest",
    );
  });

  it("keeps other registries, digests and short names", () => {
    for (const ref of [
      "stack-test/busybox:latest",
      "127.0.0.1:15410/app:1",
      "localhost:5000/app:1",
      "ghcr.io/x/y@sha256:0123",
      "sha256:0123",
    ])
      expect(familiarImageName(ref)).toBe(ref);
  });
});
