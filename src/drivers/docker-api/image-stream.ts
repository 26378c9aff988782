/**
 * The progress stream of an image pull or push (`POST /images/create`, `POST
 * /images/{name}/push`): per-layer state, byte totals that never go backwards, and the
 * failure the engine reports in-stream. Verified on dockerd 20.10 (docs/registry.md):
 * - a failed pull or push still answers 200; the failure is a line with `error` /
 *   `errorDetail`, which dockerode's `followProgress` does not turn into an error;
 * - a pull's `Extracting` reuses the layer id and restarts `current` at 0, so bytes are
 *   counted per phase: a layer counts as fully downloaded once it is past `Downloading`;
 * - a push's `current` can exceed `total` (total is the uncompressed size): clamped;
 * - a push ends with an `aux` line carrying the pushed manifest digest.
 */
import type Dockerode from "dockerode";
import type { LayerProgress, PullProgress } from "../../core/driver.js";

/** One line of the engine's JSON progress stream. */
export interface ImageStreamMessage {
  readonly id?: string;
  readonly status?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly Digest?: string; readonly Tag?: string; readonly Size?: number };
}

/** Statuses after which a pulled layer's bytes are all downloaded. */
const DOWNLOADED = new Set([
  "Verifying Checksum",
  "Download complete",
  "Extracting",
  "Pull complete",
]);
/** Statuses after which a pushed layer's bytes are all in the registry. */
const UPLOADED = new Set(["Pushed", "Layer already exists"]);

interface LayerState {
  status: string;
  current: number;
  total: number;
}

/**
 * Turns the messages of one pull or push of `image` into {@link PullProgress} reports: each
 * message about a layer reports that layer, and the image's bytes are the sum over layers of
 * bytes downloaded (pull) or uploaded (push), which only grows.
 */
export class ImageStreamTracker {
  private readonly layers = new Map<string, LayerState>();
  /** The first in-stream failure, if any. */
  failure: string | undefined;
  /** The manifest digest from a push's `aux` line. */
  digest: string | undefined;

  constructor(
    private readonly image: string,
    private readonly direction: "pull" | "push",
  ) {}

  /** Records `message`; returns what to report, or undefined for a message with no status. */
  handle(message: ImageStreamMessage): PullProgress | undefined {
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      this.failure ??= message.errorDetail?.message ?? message.error;
      return undefined;
    }
    if (message.aux?.Digest !== undefined) this.digest = message.aux.Digest;
    const status = message.status;
    if (status === undefined) return undefined;
    const id = message.id;
    // A layer id is a 12-hex short digest; the first pull line's id is the tag ("Pulling from").
    const isLayer = id !== undefined && /^[0-9a-f]{12}$/.test(id);
    let layer: LayerProgress | undefined;
    if (isLayer) {
      const state = this.layers.get(id) ?? { status, current: 0, total: 0 };
      state.status = status;
      const detail = message.progressDetail;
      const moving = this.direction === "pull" ? status === "Downloading" : status === "Pushing";
      if (moving && detail?.total !== undefined && detail.total > 0) {
        state.total = detail.total;
        state.current = Math.min(detail.current ?? 0, detail.total);
      } else if ((this.direction === "pull" ? DOWNLOADED : UPLOADED).has(status)) {
        state.current = state.total;
      }
      this.layers.set(id, state);
      layer = {
        id,
        status,
        ...(state.total > 0 && { currentBytes: state.current, totalBytes: state.total }),
      };
    }
    let current = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      current += l.current;
      total += l.total;
    }
    return {
      image: this.image,
      // The image's own line shows the last image-level status, or what its layers do.
      status: isLayer ? this.summary() : status,
      ...(total > 0 && { currentBytes: current, totalBytes: total }),
      ...(layer !== undefined && { layer }),
    };
  }

  /** `3 layers: 1 downloading, 2 done`-style summary of the layers' states. */
  private summary(): string {
    const doing = this.direction === "pull" ? "Downloading" : "Pushing";
    let active = 0;
    let done = 0;
    for (const l of this.layers.values()) {
      if (l.status === doing || l.status === "Extracting") active += 1;
      else if (
        ["Pull complete", "Already exists", "Pushed", "Layer already exists"].includes(l.status) ||
        l.status.startsWith("Mounted from")
      )
        done += 1;
    }
    const verb = this.direction === "pull" ? "pulling" : "pushing";
    return `${verb} ${this.layers.size} layer${this.layers.size === 1 ? "" : "s"} (${active} active, ${done} done)`;
  }
}

/**
 * The engine's message from an error of a streamed request: dockerode leaves `json` null
 * and puts the body into the message after `(HTTP code N) reason - ` (verified with dockerode
 * 4.0.12); the prefix and the trailing space are dropped.
 */
export function streamErrorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

/**
 * Reads a pull or push progress `stream` of `docker` to its end through `tracker`, handing
 * each report to `onProgress`; resolves when the engine ends the stream (a failure reported
 * in-stream is left in `tracker.failure`), rejects when the stream itself breaks.
 */
export function followImageStream(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  tracker: ImageStreamTracker,
  onProgress: ((p: PullProgress) => void) | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (message: ImageStreamMessage) => {
        const report = tracker.handle(message);
        if (report !== undefined) onProgress?.(report);
      },
    );
  });
}
