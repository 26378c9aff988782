import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Duplex } from "node:stream";
import { EngineError } from "../../core/errors.js";

/** An engine reached through `ssh://[user@]host[:port][/socket]`, as the Docker CLI accepts it. */
export interface SshTarget {
  /** The address for messages, normalised: `ssh://user@host:port/path`. */
  readonly url: string;
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** The engine socket on the remote host, from the URL's path; default: the remote CLI's. */
  readonly socketPath?: string;
}

/** How {@link SshTransport} runs ssh and shares its login. */
export interface SshTransportOptions {
  /** The ssh program; default `ssh` from PATH, which reads the user's ~/.ssh/config. */
  readonly command?: string;
  /** Extra flags put before the destination, e.g. `["-F", file]`; trusted, never from a URL. */
  readonly flags?: readonly string[];
  /** Environment of the ssh processes (PATH, SSH_AUTH_SOCK); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** ssh's ConnectTimeout in seconds; the Docker CLI uses 30. */
  readonly connectTimeoutSeconds?: number;
  /**
   * One login shared by every engine connection (OpenSSH connection multiplexing in a private
   * control directory). Default true; false runs one ssh login per engine connection, as the
   * Docker CLI does (Windows' OpenSSH cannot multiplex).
   */
  readonly multiplex?: boolean;
  /**
   * Engine connections carried by one login. sshd refuses sessions beyond its MaxSessions
   * (default 10): past this many open connections a second login is opened.
   */
  readonly sessionsPerLogin?: number;
  /**
   * How long a new connection waits for a session of an existing login to free up before a
   * further login is opened for it. Short API calls free sessions within milliseconds;
   * long-lived streams (logs -f, events) hold theirs, and only they should cost a login.
   */
  readonly loginQueueMs?: number;
  /**
   * Seconds the shared login outlives its last connection. It is closed when the process
   * exits or {@link SshTransport.close} runs; this only bounds a process killed with SIGKILL.
   */
  readonly persistSeconds?: number;
}

const DEFAULTS = {
  command: "ssh",
  connectTimeoutSeconds: 30,
  sessionsPerLogin: 10,
  loginQueueMs: 500,
  persistSeconds: 120,
} as const;

/** At most this much of an ssh process's stderr is kept for messages. */
const STDERR_LIMIT = 8192;

function invalid(url: string, why: string): EngineError {
  return new EngineError("invalid", `${url}: ${why}; expected ssh://[user@]host[:port]`);
}

/**
 * Parses `ssh://[user@]host[:port][/socket/path]` the way the Docker CLI does: no password,
 * query or fragment; a path names the engine socket on the remote host. Throws an `invalid`
 * EngineError naming the URL.
 */
export function parseSshUrl(url: string): SshTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, "not a valid URL");
  }
  if (parsed.protocol !== "ssh:") throw invalid(url, `scheme ${parsed.protocol} is not ssh:`);
  if (parsed.password !== "") throw invalid(url, "a password in the URL is not supported");
  if (parsed.search !== "") throw invalid(url, "query parameters are not allowed");
  if (parsed.hash !== "") throw invalid(url, "a fragment is not allowed");
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw invalid(url, "no host");
  let user: string | undefined;
  try {
    user = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  } catch {
    throw invalid(url, "the user name is not valid percent-encoding");
  }
  // Never something ssh could read as an option, nor whitespace it would split on.
  const unsafe = /^-|[\s\p{Cc}]/u;
  if (unsafe.test(host)) throw invalid(url, `host ${JSON.stringify(host)} is not valid`);
  if (user !== undefined && unsafe.test(user))
    throw invalid(url, `user ${JSON.stringify(user)} is not valid`);
  const port = parsed.port === "" ? undefined : Number(parsed.port);
  const rawPath = parsed.pathname.replace(/^\/+$/, "");
  let socketPath: string | undefined;
  try {
    socketPath = rawPath === "" ? undefined : decodeURIComponent(rawPath);
  } catch {
    throw invalid(url, "the path is not valid percent-encoding");
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    url: `ssh://${user !== undefined ? `${user}@` : ""}${hostPart}${port !== undefined ? `:${port}` : ""}${rawPath}`,
    host,
    ...(user !== undefined && { user }),
    ...(port !== undefined && { port }),
    ...(socketPath !== undefined && { socketPath }),
  };
}

/** Quotes `word` for the POSIX shell that runs an ssh remote command. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote command: `docker system dial-stdio`, with `--host=unix://PATH` when the URL names
 * a socket (as the Docker CLI does), quoted for the remote shell.
 */
export function dialStdioCommand(target: SshTarget): string {
  const words =
    target.socketPath === undefined
      ? ["docker", "system", "dial-stdio"]
      : ["docker", `--host=unix://${target.socketPath}`, "system", "dial-stdio"];
  return words.map(shellQuote).join(" ");
}

function destination(target: SshTarget): string[] {
  return [
    ...(target.user !== undefined ? ["-l", target.user] : []),
    ...(target.port !== undefined ? ["-p", String(target.port)] : []),
    "--",
    target.host,
  ];
}

/** ssh expands `%` tokens in ControlPath; a literal `%` is written `%%`. */
function controlPathOption(controlPath: string): string {
  return `ControlPath=${controlPath.replace(/%/g, "%%")}`;
}

/**
 * Arguments that log in and leave a multiplexing master on `controlPath` in the background
 * (`-f` returns once authenticated, so the exit status and stderr say whether the login
 * worked). The master closes `persistSeconds` after its last session.
 */
export function sshMasterArgs(
  target: SshTarget,
  options: {
    readonly controlPath: string;
    readonly connectTimeoutSeconds: number;
    readonly persistSeconds: number;
    readonly flags?: readonly string[];
  },
): string[] {
  return [
    ...(options.flags ?? []),
    "-o",
    `ConnectTimeout=${options.connectTimeoutSeconds}`,
    "-o",
    "ControlMaster=yes",
    "-o",
    controlPathOption(options.controlPath),
    "-o",
    `ControlPersist=${options.persistSeconds}`,
    "-N",
    "-f",
    "-T",
    ...destination(target),
  ];
}

/**
 * Arguments that run `docker system dial-stdio` on the engine host: over the master on
 * `controlPath` when given (ControlMaster=no: never become a master itself; if the master is
 * gone or refuses the session, ssh logs in directly instead), else with a login of its own,
 * exactly the Docker CLI's command (`ssh -o ConnectTimeout=30 -T -- host docker system
 * dial-stdio`).
 */
export function sshSessionArgs(
  target: SshTarget,
  options: {
    readonly controlPath?: string | undefined;
    readonly connectTimeoutSeconds: number;
    readonly flags?: readonly string[];
  },
): string[] {
  return [
    ...(options.flags ?? []),
    "-o",
    `ConnectTimeout=${options.connectTimeoutSeconds}`,
    ...(options.controlPath !== undefined
      ? ["-o", "ControlMaster=no", "-o", controlPathOption(options.controlPath)]
      : []),
    "-T",
    ...destination(target),
    dialStdioCommand(target),
  ];
}

/** ssh's own failures end with status 255; anything else is the remote command's status. */
const SSH_FAILED = 255;

/**
 * The line of ssh's stderr that says why it failed: the last one that is not a warning
 * (`Host key verification failed.`, `user@host: Permission denied (publickey).`,
 * `ssh: connect to host h port 22: Connection refused`).
 */
export function sshFailureLine(stderr: string): string | undefined {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(Warning|@)/.test(l));
  return lines.at(-1)?.replace(/\.$/, "");
}

/** True for failures another attempt cannot fix: the host key or the credentials. */
function permanent(stderr: string): boolean {
  return /Host key verification failed|Permission denied|REMOTE HOST IDENTIFICATION HAS CHANGED|Too many authentication failures/i.test(
    stderr,
  );
}

/**
 * The one-line `unavailable` error for an ssh process that ended with `code` before the
 * engine answered anything.
 */
export function sshFailure(
  target: SshTarget,
  code: number | null,
  stderr: string,
  command = "ssh",
): EngineError {
  const line = sshFailureLine(stderr);
  if (code !== null && code !== SSH_FAILED && code !== 0) {
    return new EngineError(
      "unavailable",
      `cannot reach the engine at ${target.url}: \`${dialStdioCommand(target)}\` failed on the remote host (exit ${code}${line !== undefined ? `: ${line}` : ""}); it needs the docker CLI 18.09 or later there`,
    );
  }
  const why = line ?? (code === null ? `${command} was killed` : `${command} exited with ${code}`);
  return new EngineError("unavailable", `cannot reach the engine at ${target.url}: ${why}`);
}

function spawnFailure(target: SshTarget, err: Error, command: string): EngineError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? `${command} was not found on PATH: install OpenSSH's client`
      : `cannot run ${command} (${err.message})`;
  return new EngineError("unavailable", `cannot reach the engine at ${target.url}: ${why}`, {
    cause: err,
  });
}

interface Refable {
  ref?: () => void;
  unref?: () => void;
}

/**
 * A stream over a child process's stdin/stdout, usable as an HTTP socket: what the Docker
 * CLI's commandconn is in Go. Ends when the process has ended; when it failed before sending
 * a byte, errors with `fail(code, stderr)` instead, so a request reports why ssh could not
 * connect rather than "socket hang up". Destroying it terminates the process.
 */
export class CommandSocket extends Duplex {
  /** Idle timeout in ms (0: none), as `net.Socket#timeout`; the HTTP agent reads it. */
  timeout = 0;
  private timer: NodeJS.Timeout | undefined;
  private stderr = "";
  private received = false;
  private stdoutEnded = false;
  private exit: { readonly code: number | null } | undefined;
  private detached = false;
  private readonly detachListeners: () => void;

  constructor(
    private readonly child: ChildProcess,
    private readonly fail: (code: number | null, stderr: string) => Error,
    spawnError: (err: Error) => Error,
  ) {
    super({ allowHalfOpen: true });
    const { stdout, stderr, stdin } = child;
    if (stdout === null || stderr === null || stdin === null) {
      throw new Error("CommandSocket needs a child spawned with stdio pipes");
    }
    const onData = (chunk: Buffer): void => {
      this.received = true;
      this.touch();
      if (!this.push(chunk)) stdout.pause();
    };
    const onEnd = (): void => {
      this.stdoutEnded = true;
      this.settle();
    };
    const onStderr = (text: string): void => {
      this.stderr = (this.stderr + text).slice(-STDERR_LIMIT);
    };
    // A write to a process that died fails with EPIPE; its exit status says why (settle()).
    const onStdinError = (): void => undefined;
    const onError = (err: Error): void => {
      if (!this.destroyed) this.destroy(spawnError(err));
    };
    const onClose = (code: number | null): void => {
      this.exit = { code };
      // stdout may never report `end` when the process could not be spawned.
      this.stdoutEnded = true;
      this.settle();
    };
    stdout.on("data", onData);
    stdout.on("end", onEnd);
    stderr.setEncoding("utf8");
    stderr.on("data", onStderr);
    stdin.on("error", onStdinError);
    child.on("error", onError);
    child.on("close", onClose);
    stdout.resume();
    this.detachListeners = () => {
      stdout.pause();
      stdout.off("data", onData);
      stdout.off("end", onEnd);
      stderr.off("data", onStderr);
      stdin.off("error", onStdinError);
      child.off("error", onError);
      child.off("close", onClose);
    };
  }

  /**
   * Gives up the process, still running, for another socket to wrap (the HTTP connection
   * is idle between two requests); this socket then destroys without touching it.
   * Undefined when the process is not reusable.
   */
  detach(): ChildProcess | undefined {
    if (this.detached || this.destroyed || this.stdoutEnded || this.exit !== undefined) return;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.readableLength > 0 || this.writableLength > 0) return;
    this.detached = true;
    this.detachListeners();
    return this.child;
  }

  /** Ends the readable side once both stdout and the process have ended. */
  private settle(): void {
    if (!this.stdoutEnded || this.exit === undefined || this.destroyed) return;
    const { code } = this.exit;
    if (code !== 0 && !this.received) {
      this.destroy(this.fail(code, this.stderr));
      return;
    }
    if (code === SSH_FAILED) {
      // The connection broke in the middle of an exchange.
      this.destroy(this.fail(code, this.stderr));
      return;
    }
    this.push(null);
  }

  private touch(): void {
    this.timer?.refresh();
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.touch();
    // Errors surface through the exit status (settle), with ssh's own words.
    this.child.stdin?.write(chunk, encoding, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Half-close: ssh forwards EOF, dial-stdio closes the write side of its engine connection
    // (how an attached exec learns that stdin ended) and keeps relaying the output.
    this.child.stdin?.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    if (this.detached) {
      callback(error);
      return;
    }
    if (this.exit === undefined && this.child.exitCode === null) this.child.kill("SIGTERM");
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    callback(error);
  }

  /** As `net.Socket#setTimeout`: emits `timeout` after `ms` without traffic; 0 disables. */
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (ms > 0) {
      this.timer = setTimeout(() => this.emit("timeout"), ms);
      this.timer.unref();
    }
    if (callback !== undefined) this.once("timeout", callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** As `net.Socket#ref`: the process and its pipes keep the event loop alive again. */
  ref(): this {
    if (this.detached) return this;
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr])
      (handle as Refable | null)?.ref?.();
    return this;
  }

  /** As `net.Socket#unref`: an idle kept-alive connection does not hold the process open. */
  unref(): this {
    if (this.detached) return this;
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr])
      (handle as Refable | null)?.unref?.();
    return this;
  }

  /** As `net.Socket#destroySoon` (docker-modem's HttpDuplex calls it): end, then destroy. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once("finish", () => this.destroy());
  }
}

/** One multiplexing master: a login that carries up to `sessionsPerLogin` engine connections. */
interface Login {
  readonly controlPath: string;
  readonly ready: Promise<void>;
  active: number;
  up: boolean;
}

/** A session slot on `login`, with the running session of an idle connection when handed over. */
interface Grant {
  readonly login: Login;
  readonly child?: ChildProcess;
}

interface Waiter {
  readonly resolve: (grant: Grant) => void;
  readonly reject: (err: Error) => void;
}

/** Transports whose logins are closed when the process exits. */
const open = new Set<SshTransport>();
let exitHookInstalled = false;
function closeAllOnExit(): void {
  for (const transport of open) transport.closeSync();
}

/**
 * Connections to an engine over ssh, the Docker CLI's way (the user's `ssh`, its config,
 * keys, agent and known_hosts; `docker system dial-stdio` on the engine host), with ONE
 * login for the whole process: the first connection starts an OpenSSH multiplexing master
 * in a private control directory and every engine connection is a session over it. `agent`
 * is an HTTP agent for dockerode/docker-modem (`new Dockerode({ protocol: "http", host,
 * agent })`); it keeps connections alive between requests, so sequential calls reuse one
 * session. Hijacked (exec/attach) and streaming (logs -f, events) requests each hold a
 * session; past `sessionsPerLogin` open sessions, a connection that has waited `loginQueueMs`
 * gets a further login. Failures are `unavailable` EngineErrors with ssh's reason on one
 * line; a host key or authentication failure is remembered so retries do not log in again.
 */
export class SshTransport {
  readonly target: SshTarget;
  readonly agent: http.Agent;
  private readonly command: string;
  private readonly flags: readonly string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly connectTimeoutSeconds: number;
  private readonly multiplex: boolean;
  private readonly sessionsPerLogin: number;
  private readonly loginQueueMs: number;
  private readonly persistSeconds: number;
  private readonly logins: Login[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly loginOf = new WeakMap<CommandSocket, Login>();
  private escalation: NodeJS.Timeout | undefined;
  private awaitingLogin = false;
  private startingSessions = 0;
  private controlDir: string | undefined;
  private loginCount = 0;
  private sessionCount = 0;
  private fatal: EngineError | undefined;
  private closed = false;

  constructor(target: SshTarget, options: SshTransportOptions = {}) {
    this.target = target;
    this.command = options.command ?? DEFAULTS.command;
    this.flags = options.flags ?? [];
    this.env = { ...(options.env ?? process.env) };
    this.connectTimeoutSeconds = options.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds;
    this.multiplex = options.multiplex ?? process.platform !== "win32";
    this.sessionsPerLogin = Math.max(1, options.sessionsPerLogin ?? DEFAULTS.sessionsPerLogin);
    this.loginQueueMs = options.loginQueueMs ?? DEFAULTS.loginQueueMs;
    this.persistSeconds = options.persistSeconds ?? DEFAULTS.persistSeconds;
    this.agent = new SshAgent(this);
  }

  /** Logins started so far (multiplexing masters; 0 until the first request). */
  get loginsStarted(): number {
    return this.loginCount;
  }

  /** True once {@link close} or {@link closeSync} ran: every connection then fails. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The private directory of the control sockets (created with the first login). */
  get controlDirectory(): string | undefined {
    return this.controlDir;
  }

  /** Engine connections opened so far (each one ssh session running dial-stdio). */
  get sessionsStarted(): number {
    return this.sessionCount;
  }

  /** Engine connections open now. */
  get sessions(): number {
    return this.logins.reduce((n, l) => n + l.active, 0);
  }

  /** Opens one engine connection: `callback` gets a socket for the HTTP client, or why not. */
  connect(callback: (err: Error | null, socket?: Duplex) => void): void {
    if (this.closed) {
      callback(
        new EngineError("unavailable", `the ssh connection to ${this.target.url} is closed`),
      );
      return;
    }
    if (this.fatal !== undefined) {
      callback(this.fatal);
      return;
    }
    if (!this.multiplex) {
      callback(null, this.session(undefined));
      return;
    }
    this.acquire().then(
      ({ login, child }) => {
        try {
          callback(null, child !== undefined ? this.wrap(child, login) : this.session(login));
        } catch (err) {
          if (child === undefined) {
            this.startingSessions -= 1;
            this.release(login);
          } else child.kill("SIGTERM");
          callback(err instanceof Error ? err : new Error(String(err)));
        }
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /**
   * Hands the session of `socket`, an idle kept-alive connection, to a connection waiting
   * for one: no process ends or starts, and no further login is needed for a burst of
   * short requests. False when nobody waits or the session is not reusable.
   */
  handOver(socket: Duplex): boolean {
    if (this.waiters.length === 0 || !(socket instanceof CommandSocket)) return false;
    const login = this.loginOf.get(socket);
    if (login === undefined || !this.logins.includes(login)) return false;
    const child = socket.detach();
    if (child === undefined) return false;
    const waiter = this.waiters.shift()!;
    if (this.waiters.length === 0) {
      clearTimeout(this.escalation);
      this.escalation = undefined;
    }
    waiter.resolve({ login, child });
    return true;
  }

  private wrap(child: ChildProcess, login: Login | undefined): CommandSocket {
    const socket = new CommandSocket(
      child,
      (code, stderr) =>
        this.noteFailure(sshFailure(this.target, code, stderr, this.command), stderr),
      (err) => spawnFailure(this.target, err, this.command),
    );
    if (login !== undefined) this.loginOf.set(socket, login);
    return socket;
  }

  private session(login: Login | undefined): CommandSocket {
    this.sessionCount += 1;
    const args = sshSessionArgs(this.target, {
      controlPath: login?.controlPath,
      connectTimeoutSeconds: this.connectTimeoutSeconds,
      flags: this.flags,
    });
    // A session of its own (setsid), like the Docker CLI's commandconn: Ctrl-C in the
    // terminal reaches stack, which stops cleanly, and not ssh under it.
    const child = spawn(this.command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      env: this.env,
    });
    if (login !== undefined) {
      // Counted as starting since take() granted its slot, until the engine's first answer.
      let started = false;
      const onStarted = (): void => {
        if (started) return;
        started = true;
        this.startingSessions -= 1;
        this.progress();
      };
      child.stdout?.once("data", onStarted);
      child.once("close", () => {
        onStarted();
        this.release(login);
      });
    }
    return this.wrap(child, login);
  }

  /**
   * A session started or a request completed: connections waiting now are queued behind
   * short requests, so the countdown to a further login starts again.
   */
  progress(): void {
    if (this.escalation !== undefined) this.escalation.refresh();
    else this.armEscalation();
  }

  private noteFailure(err: EngineError, stderr: string): EngineError {
    if (!permanent(stderr)) return err;
    // Remembered, and not retryable: another attempt would only ask ssh the same question.
    this.fatal = new EngineError(err.kind, err.message, { cause: err, retryable: false });
    return this.fatal;
  }

  private acquire(): Promise<Grant> {
    for (const login of this.logins) {
      if (login.up && !existsSync(login.controlPath)) {
        // The master is gone (killed, or idle past ControlPersist): forget it.
        this.logins.splice(this.logins.indexOf(login), 1);
        break;
      }
    }
    const free = this.logins.find((l) => l.active < this.sessionsPerLogin);
    if (free !== undefined) return this.take(free);
    if (this.logins.length === 0) return this.take(this.startLogin());
    return new Promise<Grant>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.armEscalation();
    });
  }

  /** Starts the queue timer unless it runs; it only counts once every login is up. */
  private armEscalation(): void {
    if (this.escalation !== undefined || this.awaitingLogin || this.waiters.length === 0) return;
    // Sessions still starting will free or hand over theirs soon (progress() re-arms).
    if (this.startingSessions > 0) return;
    const starting = this.logins.filter((l) => !l.up).map((l) => l.ready);
    if (starting.length > 0) {
      // A login in progress is not congestion: wait for it, then measure.
      this.awaitingLogin = true;
      void Promise.allSettled(starting).then(() => {
        this.awaitingLogin = false;
        this.armEscalation();
      });
      return;
    }
    this.escalation = setTimeout(() => {
      this.escalation = undefined;
      this.escalate();
    }, this.loginQueueMs);
  }

  private async take(login: Login): Promise<Grant> {
    login.active += 1;
    // Counted as starting from now until the session's first answer: connections waiting
    // meanwhile are no sign that long-lived streams hold every session.
    this.startingSessions += 1;
    try {
      await login.ready;
    } catch (err) {
      login.active -= 1;
      this.startingSessions -= 1;
      throw err;
    }
    return { login };
  }

  /** Connections waited too long: long-lived streams hold every session; log in once more. */
  private escalate(): void {
    if (this.waiters.length === 0 || this.closed) return;
    const login = this.startLogin();
    while (this.waiters.length > 0 && login.active < this.sessionsPerLogin) {
      const waiter = this.waiters.shift()!;
      this.take(login).then(waiter.resolve, waiter.reject);
    }
    this.armEscalation();
  }

  private release(login: Login): void {
    login.active -= 1;
    if (!this.logins.includes(login)) return;
    const waiter = this.waiters.shift();
    if (waiter === undefined) return;
    if (this.waiters.length === 0) {
      clearTimeout(this.escalation);
      this.escalation = undefined;
    }
    this.take(login).then(waiter.resolve, waiter.reject);
  }

  private startLogin(): Login {
    if (this.controlDir === undefined) {
      // mkdtemp makes it 0700: only this user can reach the control sockets.
      this.controlDir = mkdtempSync(path.join(os.tmpdir(), "stack-ssh-"));
      open.add(this);
      if (!exitHookInstalled) {
        process.once("exit", closeAllOnExit);
        exitHookInstalled = true;
      }
    }
    const controlPath = path.join(this.controlDir, `m${this.loginCount}`);
    this.loginCount += 1;
    const args = sshMasterArgs(this.target, {
      controlPath,
      connectTimeoutSeconds: this.connectTimeoutSeconds,
      persistSeconds: this.persistSeconds,
      flags: this.flags,
    });
    const login: Login = { controlPath, ready: Promise.resolve(), active: 0, up: false };
    const ready = new Promise<void>((resolve, reject) => {
      const child = spawn(this.command, args, {
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
        env: this.env,
      });
      let stderr = "";
      child.stderr?.setEncoding("utf8");
      child.stderr?.on("data", (text: string) => {
        stderr = (stderr + text).slice(-STDERR_LIMIT);
      });
      child.on("error", (err) => reject(spawnFailure(this.target, err, this.command)));
      // With -f the foreground ssh exits once the login worked (0) or failed (255); the
      // master it leaves behind has its stdio on /dev/null, so `close` comes promptly.
      child.on("close", (code) => {
        if (code === 0) resolve();
        else reject(this.noteFailure(sshFailure(this.target, code, stderr, this.command), stderr));
      });
    });
    (login as { ready: Promise<void> }).ready = ready.then(
      () => {
        login.up = true;
      },
      (err: unknown) => {
        const i = this.logins.indexOf(login);
        if (i >= 0) this.logins.splice(i, 1);
        // Connections queued behind a login that failed fail the same way.
        for (const waiter of this.waiters.splice(0)) {
          waiter.reject(err instanceof Error ? err : new Error(String(err)));
        }
        throw err;
      },
    );
    this.logins.push(login);
    return login;
  }

  private exitArgs(login: Login): string[] {
    return [
      ...this.flags,
      "-o",
      controlPathOption(login.controlPath),
      "-O",
      "exit",
      "--",
      this.target.host,
    ];
  }

  /** Closes every connection and login now (synchronously: usable in an `exit` handler). */
  closeSync(): void {
    this.closed = true;
    this.agent.destroy();
    for (const login of this.logins.splice(0)) {
      if (login.up && existsSync(login.controlPath)) {
        spawnSync(this.command, this.exitArgs(login), {
          stdio: "ignore",
          env: this.env,
          timeout: 5000,
        });
      }
    }
    this.cleanup();
  }

  /** Closes every connection and login; the transport cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    clearTimeout(this.escalation);
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(
        new EngineError("unavailable", `the ssh connection to ${this.target.url} is closed`),
      );
    }
    const logins = this.logins.splice(0);
    await Promise.all(
      logins.map(
        (login) =>
          new Promise<void>((resolve) => {
            if (!login.up || !existsSync(login.controlPath)) {
              resolve();
              return;
            }
            const child = spawn(this.command, this.exitArgs(login), {
              stdio: "ignore",
              env: this.env,
            });
            child.on("error", () => resolve());
            child.on("close", () => resolve());
          }),
      ),
    );
    this.cleanup();
  }

  private cleanup(): void {
    open.delete(this);
    if (this.controlDir !== undefined) {
      rmSync(this.controlDir, { recursive: true, force: true });
      this.controlDir = undefined;
    }
  }
}

/**
 * The HTTP agent of an {@link SshTransport}: keep-alive, every socket a dial-stdio session.
 * The host and port of requests are ignored (the engine is where ssh goes).
 */
class SshAgent extends http.Agent {
  constructor(private readonly transport: SshTransport) {
    super({ keepAlive: true });
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): undefined {
    this.transport.connect((err, socket) => {
      // Node's agent always passes its callback; the socket argument is unused on error.
      callback?.(err, socket as Duplex);
    });
    return undefined;
  }

  /**
   * Idle connections are kept for the next request; while others wait for a session, the
   * idle one's session goes to them instead (this socket is then dropped, not its process).
   */
  override keepSocketAlive(socket: Duplex): boolean {
    this.transport.progress();
    if (this.transport.handOver(socket)) return false;
    super.keepSocketAlive(socket);
    return true;
  }
}

const shared = new Map<string, SshTransport>();

/**
 * The process-wide transport for `target` (one per URL and ssh command), so every driver
 * and client made for the same engine in one process shares one login.
 */
export function sharedSshTransport(
  target: SshTarget,
  options: SshTransportOptions = {},
): SshTransport {
  const key = JSON.stringify([
    target.url,
    options.command ?? DEFAULTS.command,
    options.flags ?? [],
  ]);
  let transport = shared.get(key);
  if (transport === undefined || transport.isClosed) {
    transport = new SshTransport(target, options);
    shared.set(key, transport);
  }
  return transport;
}
