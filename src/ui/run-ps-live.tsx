/**
 * The live `stack ps`: `followStack` (the controller, the only part of the UI that reads
 * the engine) feeds actions through the pure reducer; `PsScreen` renders the resulting view
 * and only renders props. With keys to read it is the console: keys go through the pure
 * `consoleKey`, its effects run through `ConsoleEffects` (the engine actions the CLI hands
 * in) and `ConsoleScreen` draws it. This file wires them to the terminal: Ink, keys,
 * resize, a clock, and giving the terminal to a shell and taking it back.
 */
import { render, useInput, type Key } from "ink";
import type { Driver, DriverName } from "../core/driver.js";
import { ConsoleScreen } from "./ConsoleScreen.js";
import { ConsoleEffects, type ConsoleActions } from "./console-effects.js";
import {
  consoleKey,
  initialConsoleState,
  reduceConsole,
  type ConsoleEvent,
  type ConsoleKey,
  type ConsoleState,
} from "./console-model.js";
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
  /**
   * Makes the view a console when keys can be read (stdin is a terminal): a cursor, panes
   * and actions on the selected replica or service, run through `actions`.
   */
  readonly console?: {
    readonly actions: ConsoleActions;
    readonly driver: DriverName;
    /** The stack file was read, so `+`/`-` can scale. */
    readonly scalable: boolean;
  };
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

/** Control characters that arrive inside a chunk of typed text, by the key they are. */
const CHUNK_KEYS: Readonly<Record<string, ConsoleKey["name"]>> = {
  "\r": "enter",
  "\n": "enter",
  "\u007f": "backspace",
  "\b": "backspace",
};

/**
 * An Ink key press as the console's reducer reads it: one key, or several when keys came in
 * one chunk. Ink hands over what one read returned as one input; checked with tmux, `j`
 * then Enter sent together arrive as `"j\r"`, and so does fast typing or a paste.
 */
export function toConsoleKeys(input: string, key: Key): ConsoleKey[] {
  const one = toConsoleKey(input, key);
  if (one.name !== undefined || one.ctrl === true || [...input].length <= 1) return [one];
  return [...input].map((ch) => {
    const name = CHUNK_KEYS[ch];
    return name === undefined ? { input: ch } : { input: "", name };
  });
}

/** An Ink key press as the console's reducer reads it. */
export function toConsoleKey(input: string, key: Key): ConsoleKey {
  const name = key.upArrow
    ? "up"
    : key.downArrow
      ? "down"
      : key.pageUp
        ? "pageup"
        : key.pageDown
          ? "pagedown"
          : key.home
            ? "home"
            : key.end
              ? "end"
              : key.return
                ? "enter"
                : key.escape
                  ? "escape"
                  : key.backspace || key.delete
                    ? "backspace"
                    : undefined;
  return { input, ...(name !== undefined && { name }), ...(key.ctrl && { ctrl: true }) };
}

interface ConsoleAppProps {
  readonly state: ConsoleState;
  readonly width: number;
  readonly color: boolean;
  readonly stats: boolean;
  readonly now: number;
  readonly onKey: (key: ConsoleKey) => void;
}

/** ConsoleScreen plus the keys, handed to the reducer. Reads no engine state. */
function ConsoleApp({ onKey, state, now, ...screen }: ConsoleAppProps) {
  useInput((input, key) => {
    for (const k of toConsoleKeys(input, key)) onKey(k);
  });
  return <ConsoleScreen state={state} view={psView(state.ps, now)} {...screen} />;
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
  const consoleOptions = keys ? options.console : undefined;
  let state: PsState = initialPsState(stack, options.desired);
  let screen: ConsoleState | undefined =
    consoleOptions === undefined
      ? undefined
      : initialConsoleState(state, {
          driver: consoleOptions.driver,
          scalable: consoleOptions.scalable,
          height: stdout.rows ?? 24,
        });

  const quit = () => controller.abort();
  let onKey: (key: ConsoleKey) => void = () => {};
  const tree = () =>
    screen === undefined ? (
      <PsApp
        view={psView(state, Date.now())}
        width={terminalWidth(stdout)}
        color={color}
        stats={options.stats}
        onQuit={quit}
        keys={keys}
      />
    ) : (
      <ConsoleApp
        state={screen}
        now={Date.now()}
        width={terminalWidth(stdout)}
        color={color}
        stats={options.stats}
        onKey={(key) => onKey(key)}
      />
    );
  const renderOptions = { stdout, stdin, exitOnCtrlC: false, patchConsole: false } as const;
  let instance = render(tree(), renderOptions);
  /** True while a shell owns the terminal: nothing is drawn. */
  let suspended = false;
  const redraw = () => {
    if (!signal.aborted && !suspended) instance.rerender(tree());
  };
  const dispatchConsole = (event: ConsoleEvent) => {
    if (screen === undefined) return;
    screen = reduceConsole(screen, event);
    state = screen.ps;
    redraw();
  };
  const dispatch = (action: PsAction) => {
    if (screen !== undefined) return dispatchConsole({ type: "ps", action });
    state = reducePs(state, action);
    redraw();
  };
  const effects =
    consoleOptions === undefined
      ? undefined
      : new ConsoleEffects({
          actions: consoleOptions.actions,
          dispatch: dispatchConsole,
          quit,
          suspend: async (fn) => {
            // Ink gives the terminal back (raw mode off, input released) when unmounted; the
            // screen is cleared so the shell starts on a clean terminal, and again after it.
            suspended = true;
            instance.unmount();
            await instance.waitUntilExit();
            stdout.write("\x1b[2J\x1b[H");
            try {
              return await fn();
            } finally {
              stdout.write("\x1b[2J\x1b[H");
              // Checked on Node 20 in tmux: a stdin paused (as exec leaves it) while a read
              // is pending never delivers another key to the 'readable' listener Ink adds;
              // resumed first, it does.
              if (stdin.isPaused()) stdin.resume();
              suspended = false;
              if (!signal.aborted) instance = render(tree(), renderOptions);
            }
          },
        });
  onKey = (key) => {
    if (screen === undefined || effects === undefined || suspended) return;
    const step = consoleKey(screen, key);
    screen = step.state;
    redraw();
    for (const effect of step.effects) void effects.run(effect);
  };
  const resized = () => {
    if (screen !== undefined) dispatchConsole({ type: "resize", height: stdout.rows ?? 24 });
    else redraw();
  };

  // Quit paths besides `q`: the caller's signal, and SIGINT/SIGTERM (Ctrl-C when stdin is
  // not a terminal, so Ink cannot read the key).
  options.signal?.addEventListener("abort", quit, { once: true });
  process.once("SIGINT", quit);
  process.once("SIGTERM", quit);
  stdout.on("resize", resized);
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
  effects?.stopLogs();
  stdout.off("resize", resized);
  process.off("SIGINT", quit);
  process.off("SIGTERM", quit);
  options.signal?.removeEventListener("abort", quit);
  instance.rerender(tree());
  instance.unmount();
  await instance.waitUntilExit();
  await loops;
}
