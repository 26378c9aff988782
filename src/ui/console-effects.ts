/**
 * Runs the console's effects through {@link ConsoleActions}, the engine actions the CLI
 * wires to the same API functions its commands use (`stack restart|stop|start`, `scale`,
 * `logs`, `exec`), and reports progress and outcomes as {@link ConsoleEvent}s. Free of Ink
 * and of any engine, so it is testable with fake actions.
 */
import type { ControlOutcome, ReplicaSummary } from "../core/driver.js";
import type { ObservedContainer } from "../core/replica.js";
import type { ConsoleEffect, ConsoleEvent, LogTarget } from "./console-model.js";

/** The engine actions of the console; the CLI implements them with the API functions. */
export interface ConsoleActions {
  /** `stack restart|stop|start` of one service, or of one replica of it. */
  control(
    action: "restart" | "stop" | "start",
    service: string,
    replicaId?: string,
  ): Promise<readonly ControlOutcome[]>;
  /** `stack scale SERVICE=N`: progress lines go to `onProgress`; a failure says why. */
  scale(
    service: string,
    replicas: number,
    onProgress: (text: string) => void,
  ): Promise<{ readonly ok: boolean; readonly message?: string }>;
  /** `stack logs -f` of a service or one replica, prefixed lines to `write`, until `signal`. */
  logs(target: LogTarget, signal: AbortSignal, write: (text: string) => void): Promise<void>;
  /**
   * `stack exec` of a shell with a TTY in replica `slot` of `service`, on the terminal this
   * process runs in; resolves with the shell's exit code.
   */
  shell(service: string, slot: number): Promise<number>;
  /** The inspect summary of `replica` (environment names, never values). */
  inspect(replica: ObservedContainer): Promise<ReplicaSummary>;
}

/** What running the effects needs besides the actions. */
export interface ConsoleEffectContext {
  readonly actions: ConsoleActions;
  readonly dispatch: (event: ConsoleEvent) => void;
  /** Ends the console. */
  readonly quit: () => void;
  /**
   * Gives the terminal to `fn` (the UI is taken down before and drawn again after), for the
   * shell.
   */
  readonly suspend: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Lines buffered this long are sent as one event, so a log flood costs few frames. */
  readonly logBatchMs?: number;
}

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One status line for what a control action did to each replica or service. */
export function outcomeText(outcomes: readonly ControlOutcome[]): { ok: boolean; text: string } {
  if (outcomes.length === 0) return { ok: false, text: "nothing to do: no replica matched" };
  const ok = outcomes.every((o) => o.ok);
  const shown = outcomes.slice(0, 3).map((o) => `${o.name} ${o.result}`);
  const more = outcomes.length > 3 ? `, and ${outcomes.length - 3} more` : "";
  return { ok, text: `${shown.join("; ")}${more}` };
}

/**
 * Runs the effects of one key: engine actions report to the status line; a logs effect
 * follows until `stop-logs` or the end. Never throws: failures become events.
 */
export class ConsoleEffects {
  private logs: AbortController | undefined;

  constructor(private readonly context: ConsoleEffectContext) {}

  /** Starts `effect`; the returned promise settles when it ended (tests wait for it). */
  run(effect: ConsoleEffect): Promise<void> {
    const { actions, dispatch } = this.context;
    const done = (ok: boolean, text: string) => dispatch({ type: "action-done", ok, text });
    switch (effect.type) {
      case "quit":
        this.stopLogs();
        this.context.quit();
        return Promise.resolve();
      case "stop-logs":
        this.stopLogs();
        return Promise.resolve();
      case "logs":
        return this.followLogs(effect.session, effect.target);
      case "control": {
        const what = effect.replica?.name ?? `service ${effect.service}`;
        return actions.control(effect.action, effect.service, effect.replica?.id).then(
          (outcomes) => {
            const { ok, text } = outcomeText(outcomes);
            done(ok, effect.note === undefined ? text : `${text} (${effect.note})`);
          },
          (err: unknown) => done(false, `${effect.action} of ${what} failed: ${why(err)}`),
        );
      }
      case "scale":
        return actions
          .scale(effect.service, effect.replicas, (text) =>
            dispatch({ type: "action-progress", text }),
          )
          .then(
            (r) =>
              dispatch({
                type: "action-done",
                ok: r.ok,
                text: r.ok
                  ? `${effect.service} scaled to ${effect.replicas} (the next deploy goes back to the file's count)`
                  : `scaling ${effect.service} to ${effect.replicas} failed: ${r.message ?? "see the list"}`,
                ...(r.ok && { scaled: { service: effect.service, replicas: effect.replicas } }),
              }),
            (err: unknown) =>
              done(false, `scaling ${effect.service} to ${effect.replicas} failed: ${why(err)}`),
          );
      case "shell":
        return this.context
          .suspend(() => actions.shell(effect.service, effect.slot))
          .then(
            (code) =>
              done(
                code === 0,
                code === 0
                  ? `shell in ${effect.name} ended`
                  : `shell in ${effect.name} ended with code ${code}${code === 126 || code === 127 ? " (no sh in the image?)" : ""}`,
              ),
            (err: unknown) => done(false, `shell in ${effect.name} failed: ${why(err)}`),
          );
      case "inspect":
        return actions.inspect(effect.replica).then(
          (summary) => dispatch({ type: "inspected", replica: effect.replica.name, summary }),
          (err: unknown) =>
            dispatch({ type: "inspect-failed", replica: effect.replica.name, error: why(err) }),
        );
    }
  }

  /** Ends a logs follow, if one runs. */
  stopLogs(): void {
    this.logs?.abort();
    this.logs = undefined;
  }

  private async followLogs(session: number, target: LogTarget): Promise<void> {
    this.stopLogs();
    const controller = new AbortController();
    this.logs = controller;
    const { dispatch } = this.context;
    let pending: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (pending.length === 0 || controller.signal.aborted) return;
      const lines = pending;
      pending = [];
      dispatch({ type: "log-lines", session, lines });
    };
    const write = (text: string) => {
      for (const line of text.replace(/\n$/, "").split("\n")) pending.push(line);
      timer ??= setTimeout(flush, this.context.logBatchMs ?? 30);
    };
    let reason = "the log stream ended (the replica stopped?)";
    try {
      await this.context.actions.logs(target, controller.signal, write);
    } catch (err) {
      reason = `cannot follow the logs: ${why(err)}`;
    }
    if (timer !== undefined) clearTimeout(timer);
    flush();
    if (!controller.signal.aborted) dispatch({ type: "log-ended", session, reason });
  }
}
