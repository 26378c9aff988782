/**
 * What `up()` returns: a running stack a test talks to by service name (host ports, exec,
 * logs, control) and tears down with `down()` or `await using`.
 */
import { Writable } from "node:stream";
import type { ControlOutcome, Driver, StackLock } from "../core/driver.js";
import type { ObservedContainer } from "../core/replica.js";
import type { ServiceRow } from "../core/views.js";
import { controlStack } from "./control.js";
import { hostPort, reachableHost } from "./engine-host.js";
import { execInService } from "./exec.js";
import { publishedPort } from "./port.js";
import { quietSink } from "./quiet-sink.js";
import { removeStack } from "./remove.js";
import { replicaAt, replicasOfServices, stackReplicasOf } from "./replicas-of.js";

/** Which replica of a service: its slot, 1-based (default 1). */
export interface ReplicaOptions {
  readonly index?: number;
}

/** Which published port: the replica and the protocol (default tcp). */
export interface PortLookupOptions extends ReplicaOptions {
  readonly protocol?: "tcp" | "udp";
}

/** Where a test reaches a published port: `host` is ready to connect to (never `0.0.0.0`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** What {@link StackHandle.url} builds besides the port. */
export interface UrlOptions extends ReplicaOptions {
  /** Default `http`. */
  readonly scheme?: string;
  /** Appended as given; default `/`. */
  readonly path?: string;
}

/** How {@link StackHandle.exec} runs the command. */
export interface ExecCommandOptions extends ReplicaOptions {
  readonly user?: string;
  readonly workingDir?: string;
  /** Variables added to the replica's environment for this command. */
  readonly env?: Readonly<Record<string, string>>;
  readonly privileged?: boolean;
}

/** What a command run with {@link StackHandle.exec} did: its exit code and its output, decoded as UTF-8. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What {@link StackHandle.logs} reads. */
export interface LogsReadOptions extends ReplicaOptions {
  /** Only the last `tail` lines of each replica. */
  readonly tail?: number;
}

/** How {@link StackHandle.down} removes the stack. */
export interface DownOptions {
  /** Also remove the stack's named volumes (default true: a test leaves no data behind). */
  readonly volumes?: boolean;
  /**
   * Grace period of every stop, in seconds, instead of each container's own
   * (`stop_grace_period`, else the engine's 10 s); 0 kills at once. Replicas stop in parallel.
   */
  readonly timeoutSeconds?: number;
}

/** What {@link StackHandle.restart}, `stop` and `start` take besides the services. */
export interface ControlServicesOptions {
  /** Grace period of stop and restart, in seconds; default each service's own. */
  readonly timeoutSeconds?: number;
}

/** What the handle needs from `up()`. @internal */
export interface StackHandleInit {
  readonly driver: Driver;
  readonly stack: string;
  /** This process's owner lock of the stack, given up by `down()`. */
  readonly ownerLock?: StackLock;
  /** Work `up()` left running (removing stacks of ended test runs), awaited by `down()`. */
  readonly background?: Promise<unknown>;
}

/**
 * A stack `up()` deployed and waited for. Every lookup reads the engine at the time of the
 * call, so it sees replicas replaced by a restart. Disposable: `await using env = await
 * up(...)` removes the stack when the scope ends; {@link StackHandle.down} is idempotent.
 */
export class StackHandle implements AsyncDisposable {
  /** The stack's name on the engine (containers are `NAME_SERVICE.INDEX`). */
  readonly name: string;
  /** The engine driver the stack runs on, for what the handle does not cover. */
  readonly driver: Driver;
  private readonly ownerLock: StackLock | undefined;
  private readonly background: Promise<unknown>;
  private downing: Promise<void> | undefined;

  /** @internal `up()` makes handles; see {@link StackHandleInit}. */
  constructor(init: StackHandleInit) {
    this.name = init.stack;
    this.driver = init.driver;
    this.ownerLock = init.ownerLock;
    this.background = init.background ?? Promise.resolve();
  }

  /** The stack's services with their running and desired replica counts, sorted by name. */
  services(): Promise<readonly ServiceRow[]> {
    return this.driver.services(this.name);
  }

  /**
   * Replica `index` (default 1) of `service` as the engine reports it now (id, name, state,
   * health, ports). Throws NotFoundError when the service or replica is not there.
   */
  async container(service: string, index = 1): Promise<ObservedContainer> {
    return replicaAt(await stackReplicasOf(this.driver, this.name), this.name, service, index);
  }

  /**
   * Where a test reaches container port `target` of `service` (replica `index`, through the
   * stack's ingress when one serves it): `{ host, port }` on the machine running the engine.
   * Throws NotFoundError when the port is not published.
   */
  async port(service: string, target: number, options: PortLookupOptions = {}): Promise<HostPort> {
    const address = await publishedPort({
      driver: this.driver,
      stack: this.name,
      service,
      index: options.index ?? 1,
      target,
      protocol: options.protocol ?? "tcp",
    });
    return { host: reachableHost(address.hostIp, this.driver.address), port: address.port };
  }

  /** `http://HOST:PORT/` (or `scheme` and `path`) of container port `target` of `service`. */
  async url(service: string, target: number, options: UrlOptions = {}): Promise<string> {
    const { host, port } = await this.port(service, target, options);
    return `${options.scheme ?? "http"}://${hostPort(host, port)}${options.path ?? "/"}`;
  }

  /**
   * Runs `cmd` in replica `index` (default 1) of `service` and resolves with its exit code
   * and output once it ends; a non-zero exit code does not reject. A string runs with
   * `sh -c`. Throws NotFoundError when the replica is not there or not running.
   */
  async exec(
    service: string,
    cmd: string | readonly string[],
    options: ExecCommandOptions = {},
  ): Promise<ExecResult> {
    const stdout = collect();
    const stderr = collect();
    const exitCode = await execInService({
      driver: this.driver,
      stack: this.name,
      service,
      index: options.index ?? 1,
      cmd: typeof cmd === "string" ? ["sh", "-c", cmd] : cmd,
      stdout: stdout.stream,
      stderr: stderr.stream,
      ...(options.user !== undefined && { user: options.user }),
      ...(options.workingDir !== undefined && { workingDir: options.workingDir }),
      ...(options.env !== undefined && {
        env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
      }),
      ...(options.privileged !== undefined && { privileged: options.privileged }),
    });
    return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
  }

  /**
   * What `service` logged so far (stdout and stderr), one line per log line: replica `index`
   * only when given, else every replica's lines one replica after the other.
   */
  async logs(service: string, options: LogsReadOptions = {}): Promise<string> {
    const all = replicasOfServices(await stackReplicasOf(this.driver, this.name), this.name, [
      service,
    ]);
    const chosen =
      options.index === undefined ? all : [replicaAt(all, this.name, service, options.index)];
    const lines: string[] = [];
    for (const replica of chosen) {
      for await (const line of this.driver.logs(replica.id, {
        ...(options.tail !== undefined && { tail: options.tail }),
      }))
        lines.push(line.text);
    }
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  /** Restarts the replicas of `services` (default all), dependencies first. */
  restart(
    services: readonly string[] = [],
    options: ControlServicesOptions = {},
  ): Promise<readonly ControlOutcome[]> {
    return this.control("restart", services, options);
  }

  /** Stops the replicas of `services` (default all); `start` starts them again. */
  stop(
    services: readonly string[] = [],
    options: ControlServicesOptions = {},
  ): Promise<readonly ControlOutcome[]> {
    return this.control("stop", services, options);
  }

  /** Starts the stopped replicas of `services` (default all). */
  start(services: readonly string[] = []): Promise<readonly ControlOutcome[]> {
    return this.control("start", services, {});
  }

  private control(
    action: "restart" | "stop" | "start",
    services: readonly string[],
    options: ControlServicesOptions,
  ): Promise<readonly ControlOutcome[]> {
    return controlStack({
      driver: this.driver,
      stack: this.name,
      action,
      services,
      ...(options.timeoutSeconds !== undefined && { timeoutMs: options.timeoutSeconds * 1000 }),
    });
  }

  /**
   * Removes the stack: containers (stopped in parallel), networks, and named volumes unless
   * `volumes: false`. Idempotent: later calls return the first call's promise. Throws
   * EngineError when something could not be removed.
   */
  down(options: DownOptions = {}): Promise<void> {
    this.downing ??= this.remove(options);
    return this.downing;
  }

  private async remove(options: DownOptions): Promise<void> {
    const failures: string[] = [];
    try {
      const result = await removeStack({
        driver: this.driver,
        stack: this.name,
        volumes: options.volumes ?? true,
        sink: quietSink((e) => {
          if (e.type === "op-failed") failures.push(`${e.op.text}: ${e.error}`);
        }),
        command: "down()",
        ...(options.timeoutSeconds !== undefined && { timeoutSeconds: options.timeoutSeconds }),
      });
      if (!result.ok)
        throw new Error(
          `stack ${this.name} was not removed completely: ${failures.join("; ") || "interrupted"}`,
        );
    } finally {
      await this.ownerLock?.release();
      // Removing stacks of ended runs is best effort; its outcome is nobody's failure.
      await this.background.catch(() => undefined);
    }
  }

  /** `await using`: the same as {@link StackHandle.down} with its defaults. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.down();
  }
}

/** A writable stream that keeps what is written, for {@link StackHandle.exec}'s output. */
function collect(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  // Kept as it is written (no buffering in between), so all of it is there once exec returns.
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
