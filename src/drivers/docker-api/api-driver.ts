import type {
  EngineEvent,
  EngineInfo,
  LockOptions,
  LockOwner,
  LogLine,
  StackLock,
  StackSummary,
} from "../../core/driver.js";
import { acquireStackLock, type LockStore } from "./stack-lock.js";

/** The reads every Docker-API engine client answers the same way for its driver. */
export interface ReadingEngine {
  readonly address: string;
  /** True when the engine is not on this machine (ssh://, tcp://): bind mounts are its paths. */
  readonly remote?: boolean;
  ping(): Promise<EngineInfo>;
  listStacks(): Promise<readonly StackSummary[]>;
  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** The engine objects stack locks are made of (volumes on a plain engine, configs on a swarm). */
  lockStore(): LockStore;
}

/**
 * What the Docker-API drivers share: the engine's address, ping, the stack list, logs,
 * events and the stack lock come straight from their engine client; each driver adds the
 * rest of `Driver`.
 */
export abstract class ApiDriver<E extends ReadingEngine> {
  constructor(readonly engine: E) {}

  get address(): string {
    return this.engine.address;
  }

  ping(): Promise<EngineInfo> {
    return this.engine.ping();
  }

  listStacks(): Promise<readonly StackSummary[]> {
    return this.engine.listStacks();
  }

  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine> {
    return this.engine.logs(id, options);
  }

  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return this.engine.events(stack, signal);
  }

  lock(stack: string, owner: LockOwner, options?: LockOptions): Promise<StackLock> {
    return acquireStackLock(this.engine.lockStore(), stack, owner, options);
  }
}
