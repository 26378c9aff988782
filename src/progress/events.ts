import type { Operation, Plan } from "../core/operation.js";

/**
 * What the core reports while it works. Sinks (Ink, plain lines, JSON lines, quiet) turn
 * these into output; the core never writes to the terminal itself.
 */
export type ProgressEvent =
  | { readonly type: "info"; readonly message: string }
  | { readonly type: "warning"; readonly message: string }
  /** A failure not tied to one operation, e.g. `--wait` naming the replica that failed. */
  | { readonly type: "error"; readonly message: string; readonly logs?: readonly string[] }
  | { readonly type: "plan"; readonly plan: Plan }
  | { readonly type: "op-start"; readonly op: Operation }
  | { readonly type: "op-done"; readonly op: Operation; readonly ms: number }
  | {
      readonly type: "op-failed";
      readonly op: Operation;
      readonly error: string;
      readonly logs?: readonly string[];
    }
  | { readonly type: "op-skipped"; readonly op: Operation; readonly reason: string }
  | ({ readonly type: "pull-progress" } & ImageTransfer)
  | ({ readonly type: "push-progress" } & ImageTransfer)
  /**
   * One line of the output of the build of `image`, as the builder printed it: a step
   * (`Step 3/13 : RUN pip install ...`) or what a step printed. Never a pull: sinks label it
   * as a build.
   */
  | { readonly type: "build-progress"; readonly image: string; readonly line: string }
  /**
   * One line a lifecycle hook printed (stdout or stderr): `hook` is `post_start[0]`,
   * `pre_stop[1]`, `pre_start[0]`; `container` the replica it ran for.
   */
  | {
      readonly type: "hook-output";
      readonly service: string;
      readonly container: string;
      readonly hook: string;
      readonly line: string;
    }
  | { readonly type: "waiting"; readonly target: string; readonly what: string }
  /**
   * The last event of a deploy: how it ended (`ready` only after `--wait`; `deployed` when
   * applied without waiting; `planned` for `--dry-run`) and, when it failed, why.
   */
  | {
      readonly type: "result";
      readonly stack: string;
      readonly ok: boolean;
      readonly status: "ready" | "deployed" | "planned" | "failed" | "timed-out" | "interrupted";
      readonly message?: string;
    }
  | {
      readonly type: "summary";
      readonly ok: boolean;
      readonly done: number;
      readonly failed: number;
      readonly skipped: number;
      readonly ms: number;
    };

/** An image pull or push going on: the image's totals and the layer a report is about. */
export interface ImageTransfer {
  readonly image: string;
  readonly status: string;
  /** Bytes of all layers downloaded or uploaded so far; never decreases. */
  readonly currentBytes?: number;
  readonly totalBytes?: number;
  /** The layer this event is about, when it is about one. */
  readonly layer?: LayerProgress;
}

/** Receives progress events; implementations must not throw. */
export interface ProgressSink {
  emit(event: ProgressEvent): void;
  /** Flush and release the terminal. */
  close(): Promise<void>;
}

/** A sink that drops everything (`--progress quiet`, tests). */
export const nullSink: ProgressSink = {
  emit() {},
  async close() {},
};

/** One layer of an image being pulled or pushed, as the engine reports it. */
export interface LayerProgress {
  /** Short blob digest (12 hex), as the engine names the layer. */
  readonly id: string;
  /** `Downloading`, `Extracting`, `Pull complete`, `Pushing`, `Pushed`, `Already exists`, ... */
  readonly status: string;
  readonly currentBytes?: number;
  readonly totalBytes?: number;
}
