import type {
  EngineEvent,
  EngineInfo,
  ImageRow,
  LockOptions,
  LockOwner,
  LogLine,
  PullProgress,
  StackLock,
  StackSummary,
} from "../../core/driver.js";
import type { ObservedContainer } from "../../core/replica.js";
import { compareNames } from "../../model/naming.js";
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
  pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void>;
  /** Pushes `image` into its registry; the digest the registry stored. */
  pushImage(image: string, onProgress?: (p: PullProgress) => void): Promise<string | undefined>;
  /** Id and size of image `reference` on this engine, or undefined when it is not there. */
  imageInfo(
    reference: string,
  ): Promise<{ readonly id: string; readonly sizeBytes: number } | undefined>;
}

/**
 * What the Docker-API drivers share: the engine's address, ping, the stack list, logs,
 * events, the stack lock, pull and push come straight from their engine client (on a swarm,
 * the manager talked to pulls; every other node pulls when it starts a task); each driver
 * adds the rest of `Driver`.
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

  pull(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    return this.engine.pullImage(image, onProgress);
  }

  push(image: string, onProgress?: (p: PullProgress) => void): Promise<string | undefined> {
    return this.engine.pushImage(image, onProgress);
  }

  /** The `stack images` rows of `replicas`: each image looked up once on this engine. */
  protected async imageRows(replicas: readonly ObservedContainer[]): Promise<ImageRow[]> {
    const info = new Map(
      await Promise.all(
        [...new Set(replicas.map((r) => r.image))].map(
          async (image) => [image, await this.engine.imageInfo(image)] as const,
        ),
      ),
    );
    return [...replicas]
      .sort((a, b) => compareNames(a.name, b.name))
      .map((r) => {
        const i = info.get(r.image);
        return {
          container: r.name,
          service: r.service,
          image: r.image,
          ...(i !== undefined && { id: i.id, sizeBytes: i.sizeBytes }),
        };
      });
  }

  lock(stack: string, owner: LockOwner, options?: LockOptions): Promise<StackLock> {
    return acquireStackLock(this.engine.lockStore(), stack, owner, options);
  }
}
