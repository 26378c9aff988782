/**
 * Stack locks as swarm configs: one cluster-wide object whichever manager a client talks to.
 * Swarm behaviour relied on (its raft store; checked on a single-node swarm of dockerd 20.10
 * and 26.1 with concurrent creates): a config create with a taken name fails with 409; a
 * config's labels can be updated in place (with the version read, so a stale update fails)
 * and `UpdatedAt` is then the manager's clock; removal is by id, so a lock taken again
 * meanwhile (a new id) is never removed by mistake.
 *
 * The config `stack-lock.<stack>` carries the holder in labels like the docker driver's lock
 * volume (`stack.lock*`, never `com.docker.stack.namespace`, so `stack rm` and `docker stack
 * rm` leave it alone); a renewal rewrites its renewal-count label.
 */
import type Dockerode from "dockerode";
import type { LockOwner } from "../../core/driver.js";
import { EngineError } from "../../core/errors.js";
import { toEngineError } from "../docker-api/classify-error.js";
import type { LockRecord, LockStore } from "../docker-api/stack-lock.js";
import { LOCK_LABELS, lockVolumeName } from "../docker-api/volume-lock-store.js";

interface ConfigItem {
  readonly ID: string;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  readonly Version?: { readonly Index?: number };
  readonly Spec?: {
    readonly Name?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Data?: string;
  };
}

/** Label counting renewals: each one is an update, which moves `UpdatedAt`. */
const RENEWALS_LABEL = "stack.lock.renewals";

/** `LockStore` over configs of the swarm `docker` talks to (a manager). */
export class ConfigLockStore implements LockStore {
  constructor(
    private readonly docker: Dockerode,
    private readonly address: string,
  ) {}

  private fail(err: unknown, context: string): EngineError {
    return toEngineError(err, context, this.address);
  }

  private async find(stack: string): Promise<ConfigItem | undefined> {
    const name = lockVolumeName(stack);
    try {
      const list = (await this.docker.listConfigs({ filters: { name: [name] } })) as ConfigItem[];
      // The name filter matches prefixes: keep the exact name.
      return list.find((c) => c.Spec?.Name === name);
    } catch (err) {
      throw this.fail(err, `read lock config ${name}`);
    }
  }

  async claim(stack: string, token: string, owner: LockOwner): Promise<LockRecord> {
    const name = lockVolumeName(stack);
    try {
      await this.docker.createConfig({
        Name: name,
        Labels: {
          [LOCK_LABELS.stack]: stack,
          [LOCK_LABELS.token]: token,
          [LOCK_LABELS.host]: owner.host,
          [LOCK_LABELS.pid]: String(owner.pid),
          [LOCK_LABELS.command]: owner.command,
          ...(owner.processStart === undefined
            ? {}
            : { [LOCK_LABELS.processStart]: owner.processStart }),
        },
        Data: Buffer.from(`stack lock of ${stack}\n`).toString("base64"),
      });
    } catch (err) {
      const e = this.fail(err, `create lock config ${name}`);
      if (e.kind !== "conflict") throw e;
    }
    const record = await this.read(stack);
    // Removed between the refused create and the read: claim again.
    return record ?? this.claim(stack, token, owner);
  }

  async read(stack: string): Promise<LockRecord | undefined> {
    const config = await this.find(stack);
    if (config === undefined) return undefined;
    const labels = config.Spec?.Labels ?? {};
    const token = labels[LOCK_LABELS.token];
    if (token === undefined)
      throw new EngineError(
        "conflict",
        `config ${lockVolumeName(stack)} exists but is not a stack lock; remove it (docker config rm ${lockVolumeName(stack)})`,
      );
    const created = Date.parse(config.CreatedAt ?? "");
    const updated = Date.parse(config.UpdatedAt ?? "");
    const processStart = labels[LOCK_LABELS.processStart];
    return {
      token,
      renewedAtMs: Math.max(
        Number.isFinite(created) ? created : 0,
        Number.isFinite(updated) ? updated : 0,
      ),
      holder: {
        host: labels[LOCK_LABELS.host] ?? "unknown host",
        pid: Number(labels[LOCK_LABELS.pid] ?? 0),
        command: labels[LOCK_LABELS.command] ?? "",
        ...(processStart === undefined ? {} : { processStart }),
        since: config.CreatedAt ?? "unknown",
      },
    };
  }

  async renew(stack: string, token: string): Promise<void> {
    const config = await this.find(stack);
    const spec = config?.Spec;
    if (config === undefined || spec?.Labels?.[LOCK_LABELS.token] !== token) return;
    const renewals = Number(spec.Labels[RENEWALS_LABEL] ?? 0) + 1;
    try {
      // The version read goes in the query: an update racing another one fails, not merges.
      await this.docker.getConfig(config.ID).update({
        _query: { version: config.Version?.Index ?? 0 },
        _body: {
          Name: spec.Name,
          Labels: { ...spec.Labels, [RENEWALS_LABEL]: String(renewals) },
          Data: spec.Data,
        },
      });
    } catch (err) {
      throw this.fail(err, `renew lock config ${spec.Name ?? ""}`);
    }
  }

  async remove(stack: string, token: string): Promise<void> {
    const config = await this.find(stack);
    if (config === undefined || config.Spec?.Labels?.[LOCK_LABELS.token] !== token) return;
    try {
      await this.docker.getConfig(config.ID).remove();
    } catch (err) {
      const e = this.fail(err, `remove lock config ${lockVolumeName(stack)}`);
      if (e.kind !== "not-found") throw e;
    }
  }

  async now(): Promise<number> {
    try {
      const info = (await this.docker.info()) as { SystemTime?: string };
      const t = Date.parse(info.SystemTime ?? "");
      return Number.isFinite(t) ? t : Date.now();
    } catch (err) {
      throw this.fail(err, "read the engine's clock");
    }
  }
}
