/**
 * The live `stack ps`: `followStack` (the controller, the only part of the UI that calls
 * the engine) feeds actions through the pure reducer; `PsScreen` renders the resulting view
 * and only renders props. This file wires them to the terminal: Ink, keys, resize, a clock.
 */
import { render, useInput } from "ink";
import type { Driver } from "../core/driver.js";
import { PsScreen, type PsScreenProps } from "./PsScreen.js";
import { followStack } from "./follow-stack.js";
import { initialPsState, psView, reducePs, type PsAction, type PsState } from "./ps-view-model.js";
import { colorEnabled, terminalWidth, type TerminalEnv } from "./terminal.js";

/** Options of {@link runPsLive}. */
export interface PsLiveOptions {
  /** The driver calls the live view makes: read replicas, follow events, sample stats. */
  readonly driver: Pick<Driver, "replicas" | "events" | "stats">;
  readonly stack: string;
  /** Sample CPU and memory of running replicas (`--stats`). */
  readonly stats: boolean;
  /** Replicas wanted per service, when the stack file was given. */
  readonly desired?: Readonly<Record<string, number>>;
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly env: TerminalEnv;
  /** Ends the view like `q` does. */
  readonly signal?: AbortSignal;
  /** Quiet time after an event before observing, so a burst costs one observation. */
  readonly debounceMs?: number;
  /** Reconnect delays: first retry after `initialMs`, doubling up to `maxMs`. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Time between stats rounds. */
  readonly statsIntervalMs?: number;
}

/** Uptimes and the reconnect countdown change every second even without events. */
const TICK_MS = 1000;

interface PsAppProps extends PsScreenProps {
  readonly onQuit: () => void;
  readonly keys: boolean;
}

/** PsScreen plus the keys: `q` and Ctrl-C quit. Reads no engine state. */
function PsApp({ onQuit, keys, ...screen }: PsAppProps) {
  useInput(
    (input, key) => {
      if (input === "q" || (key.ctrl && input === "c")) onQuit();
    },
    { isActive: keys },
  );
  return <PsScreen {...screen} />;
}

/**
 * Shows `stack ps` live on `stdout` until `q`, Ctrl-C, SIGTERM or `signal`; resolves once the
 * terminal is released. Engine failures never end the view: they are shown and retried.
 */
export async function runPsLive(options: PsLiveOptions): Promise<void> {
  const { driver, stack, stdout, stdin, env } = options;
  const controller = new AbortController();
  const signal = controller.signal;
  const color = colorEnabled(stdout, env);
  const keys = stdin.isTTY === true;
  let state: PsState = initialPsState(stack, options.desired);

  const quit = () => controller.abort();
  const tree = () => (
    <PsApp
      view={psView(state, Date.now())}
      width={terminalWidth(stdout)}
      color={color}
      stats={options.stats}
      onQuit={quit}
      keys={keys}
    />
  );
  const instance = render(tree(), { stdout, stdin, exitOnCtrlC: false, patchConsole: false });
  const redraw = () => {
    if (!signal.aborted) instance.rerender(tree());
  };
  const dispatch = (action: PsAction) => {
    state = reducePs(state, action);
    redraw();
  };

  // Quit paths besides `q`: the caller's signal, and SIGINT/SIGTERM (Ctrl-C when stdin is
  // not a terminal, so Ink cannot read the key).
  options.signal?.addEventListener("abort", quit, { once: true });
  process.once("SIGINT", quit);
  process.once("SIGTERM", quit);
  stdout.on("resize", redraw);
  const ticker = setInterval(redraw, TICK_MS);

  const loops = followStack(
    {
      driver,
      stack,
      stats: options.stats,
      signal,
      ...(options.debounceMs !== undefined && { debounceMs: options.debounceMs }),
      ...(options.backoff !== undefined && { backoff: options.backoff }),
      ...(options.statsIntervalMs !== undefined && { statsIntervalMs: options.statsIntervalMs }),
    },
    dispatch,
    () => state,
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

  clearInterval(ticker);
  stdout.off("resize", redraw);
  process.off("SIGINT", quit);
  process.off("SIGTERM", quit);
  options.signal?.removeEventListener("abort", quit);
  instance.rerender(tree());
  instance.unmount();
  await instance.waitUntilExit();
  await loops;
}
