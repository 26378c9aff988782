import { describe, expect, it } from "vitest";
import { pinnedImage, withoutDigest } from "../../../../src/drivers/swarm/prepare-images.js";

const TAG = "127.0.0.1:15410/team/web:1";
const OLD = `${TAG}@sha256:old`;

describe("pinnedImage (--resolve-image)", () => {
  it("always asks the registry, and pins the answer", () => {
    expect(pinnedImage(TAG, "always", OLD)).toEqual({ image: OLD, ask: true });
    expect(pinnedImage(TAG, "always", OLD, "sha256:new")).toEqual({
      image: `${TAG}@sha256:new`,
      ask: false,
    });
  });

  it("changed asks only when the service does not already pin this tag", () => {
    expect(pinnedImage(TAG, "changed", OLD)).toEqual({ image: OLD, ask: false });
    expect(pinnedImage(TAG, "changed", "other/web:2@sha256:x")).toEqual({ image: TAG, ask: true });
    expect(pinnedImage(TAG, "changed", undefined)).toEqual({ image: TAG, ask: true });
  });

  it("never keeps what runs for the same tag, else deploys the tag as written", () => {
    expect(pinnedImage(TAG, "never", OLD)).toEqual({ image: OLD, ask: false });
    expect(pinnedImage(TAG, "never", undefined)).toEqual({ image: TAG, ask: false });
  });

  it("leaves a reference that has a digest already, and strips digests", () => {
    expect(pinnedImage(`${TAG}@sha256:mine`, "always", OLD)).toEqual({
      image: `${TAG}@sha256:mine`,
      ask: false,
    });
    expect(withoutDigest(OLD)).toBe(TAG);
    expect(withoutDigest(TAG)).toBe(TAG);
  });
});
