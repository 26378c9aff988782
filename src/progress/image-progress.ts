import type { PullProgress } from "../core/driver.js";
import type { ProgressEvent } from "./events.js";

/**
 * The progress event for one report of an image pull or push: the image's totals, and the
 * layer the report is about when there is one.
 */
export function imageProgressEvent(
  type: "pull-progress" | "push-progress",
  p: PullProgress,
): ProgressEvent {
  return {
    type,
    image: p.image,
    status: p.status,
    ...(p.currentBytes !== undefined && { currentBytes: p.currentBytes }),
    ...(p.totalBytes !== undefined && { totalBytes: p.totalBytes }),
    ...(p.layer !== undefined && { layer: p.layer }),
  };
}
