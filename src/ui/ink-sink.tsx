/**
 * The Ink progress sink: the deploy screen on a terminal. Ink and React load lazily (Ink
 * alone takes most of a second to import on a slow machine), so choosing this sink costs
 * nothing until the first frame, and commands that print once never pay for it. Events that
 * arrive before Ink is ready are already folded into the state, so none is lost.
 */
import type { ProgressEvent, ProgressSink } from "../progress/events.js";
import {
  deployView,
  initialDeployState,
  reduceDeploy,
  type DeployState,
} from "./deploy-view-model.js";
import { colorEnabled, terminalWidth, type TerminalEnv } from "./terminal.js";

/** The stream the screen is drawn on (process.stderr by default). */
export type InkOutput = NodeJS.WriteStream;

/** Options of {@link InkSink}. */
export interface InkSinkOptions {
  /** Where to draw; a terminal. */
  readonly stream: InkOutput;
  readonly env: TerminalEnv;
  /** Epoch ms source; tests pass a fixed clock. */
  readonly now?: () => number;
}

interface Mounted {
  update(): void;
  finish(): Promise<void>;
}

/** Redraws the elapsed times of working operations this often while nothing else happens. */
const TICK_MS = 250;

/**
 * A {@link ProgressSink} drawing the deploy screen with Ink: operations waiting, working
 * (spinner), done or failed with the reason, pulls with progress bars, readiness waits and
 * the summary. `emit` never throws; `close` draws the final frame and releases the terminal.
 */
export class InkSink implements ProgressSink {
  private state: DeployState = initialDeployState;
  private readonly now: () => number;
  private readonly mounted: Promise<Mounted | undefined>;
  private closed = false;

  constructor(private readonly options: InkSinkOptions) {
    this.now = options.now ?? Date.now;
    this.mounted = this.mount().catch((err: unknown) => {
      // Without Ink there is still the summary: fall back to one plain line at close.
      options.stream.write(
        `(progress display unavailable: ${err instanceof Error ? err.message : String(err)})\n`,
      );
      return undefined;
    });
  }

  emit(event: ProgressEvent): void {
    try {
      this.state = reduceDeploy(this.state, event, this.now());
      void this.mounted.then((m) => m?.update());
    } catch {
      // A sink must not throw into the core.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const mounted = await this.mounted;
    if (mounted !== undefined) {
      await mounted.finish();
      return;
    }
    const summary = deployView(this.state, this.now()).summary;
    if (summary !== undefined) this.options.stream.write(`${summary.text}\n`);
  }

  private async mount(): Promise<Mounted> {
    const [react, { render }, { DeployScreen }] = await Promise.all([
      import("react"),
      import("ink"),
      import("./DeployScreen.js"),
    ]);
    // React is a CommonJS module: Node's import() also lists its exports by name, but in the
    // bundled CLI (esbuild, code splitting) only `default`, the module itself, is there.
    const { createElement } = react.default;
    const { stream, env } = this.options;
    const color = colorEnabled(stream, env);
    let final = false;
    const tree = () =>
      createElement(DeployScreen, {
        view: deployView(this.state, this.now()),
        width: terminalWidth(stream),
        color,
        final,
      });
    const instance = render(tree(), {
      stdout: stream,
      // Ctrl-C must reach the deploy's own SIGINT handler (finish engine calls, then stop),
      // so Ink neither reads stdin nor handles Ctrl-C.
      exitOnCtrlC: false,
      patchConsole: false,
    });
    const onResize = () => instance.rerender(tree());
    stream.on("resize", onResize);
    const ticker = setInterval(() => instance.rerender(tree()), TICK_MS);
    ticker.unref();
    return {
      update: () => instance.rerender(tree()),
      finish: async () => {
        clearInterval(ticker);
        stream.off("resize", onResize);
        final = true;
        instance.rerender(tree());
        instance.unmount();
        await instance.waitUntilExit();
      },
    };
  }
}
