/**
 * Stack locks as volumes on a plain Docker engine. Engine behaviour relied on (checked on
 * dockerd 20.10.24 and 26.1.5: twelve concurrent creates of one name, three rounds each):
 * `POST /volumes/create` of a taken name answers 201 with the EXISTING volume, its labels
 * included, and the volume store serialises creates of one name, so every racer is told the
 * same winner. A volume's `CreatedAt` is the engine host's clock (whole seconds).
 *
 * Objects, all labelled `stack.lock=<stack>` and none labelled `stack.name` (so no stack's
 * observation, `rm` or `ls` ever sees them):
 * - `stack-lock.<stack>`: the lock; its labels name the holder and its token. Stack names
 *   cannot hold a dot, so this never collides with a stack's own `<stack>_<key>` volumes.
 * - `stack-lock.<stack>.<token>.<n>`: the holder's n-th renewal; the newest one's
 *   `CreatedAt` is its last sign of life (volumes cannot be edited, so a renewal is a new one).
 * - `stack-lock.<stack>.break`: held while a lock is removed. Volumes have no id to remove
 *   "this one and not a newer one" by, so removals of a stack's lock take turns: each
 *   re-reads the lock under this volume and removes it only when it is still the token asked.
 */
import type Dockerode from "dockerode";
import type { LockOwner } from "../../core/driver.js";
import { EngineError } from "../../core/errors.js";
import { toEngineError } from "./classify-error.js";
import { newLockToken, type LockRecord, type LockStore } from "./stack-lock.js";

/** Labels of lock volumes. */
export const LOCK_LABELS = {
  stack: "stack.lock",
  token: "stack.lock.token",
  host: "stack.lock.host",
  pid: "stack.lock.pid",
  command: "stack.lock.command",
  processStart: "stack.lock.process-start",
  /** On renewal volumes: the token renewed. */
  renews: "stack.lock.renews",
} as const;

/** A remover that has not finished within this time died: its turn is taken from it. */
const STALE_BREAK_MS = 60_000;

interface VolumeItem {
  readonly Name: string;
  readonly CreatedAt?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** The name of `stack`'s lock volume. */
export function lockVolumeName(stack: string): string {
  return `stack-lock.${stack}`;
}

/** `LockStore` over volumes of the engine `docker` talks to. */
export class VolumeLockStore implements LockStore {
  private readonly renewals = new Map<string, number>();

  constructor(
    private readonly docker: Dockerode,
    private readonly address: string,
  ) {}

  private async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toEngineError(err, context, this.address);
    }
  }

  private create(name: string, labels: Record<string, string>): Promise<VolumeItem> {
    // dockerode's createVolume resolves with a handle, not the engine's answer, and the
    // answer is the point: it is the volume now holding the name, whoever created it.
    return this.call(
      `create lock volume ${name}`,
      () =>
        new Promise<VolumeItem>((resolve, reject) => {
          this.docker.modem.dial(
            {
              path: "/volumes/create?",
              method: "POST",
              allowEmpty: true,
              options: { Name: name, Labels: labels },
              statusCodes: { 200: true, 201: true, 500: "server error" },
            },
            (err, data) => (err ? reject(err) : resolve(data as VolumeItem)),
          );
        }),
    );
  }

  private async inspect(name: string): Promise<VolumeItem | undefined> {
    try {
      return (await this.docker.getVolume(name).inspect()) as VolumeItem;
    } catch (err) {
      const e = toEngineError(err, `inspect lock volume ${name}`, this.address);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  private async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (err) {
      const e = toEngineError(err, `remove lock volume ${name}`, this.address);
      if (e.kind !== "not-found") throw e;
    }
  }

  private async list(label: string): Promise<VolumeItem[]> {
    return this.call("list lock volumes", async () => {
      const answer = await this.docker.listVolumes({ filters: { label: [label] } });
      return (answer.Volumes ?? []) as VolumeItem[];
    });
  }

  async claim(stack: string, token: string, owner: LockOwner): Promise<LockRecord> {
    const volume = await this.create(lockVolumeName(stack), {
      [LOCK_LABELS.stack]: stack,
      [LOCK_LABELS.token]: token,
      [LOCK_LABELS.host]: owner.host,
      [LOCK_LABELS.pid]: String(owner.pid),
      [LOCK_LABELS.command]: owner.command,
      ...(owner.processStart === undefined
        ? {}
        : { [LOCK_LABELS.processStart]: owner.processStart }),
    });
    // Ours: nothing renewed it yet, so no renewals to look up (and none to remove later).
    const mine = volume.Labels?.[LOCK_LABELS.token] === token;
    if (mine) this.renewals.set(token, 0);
    const record = await this.toRecord(volume, !mine);
    if (record === undefined)
      throw new EngineError(
        "conflict",
        `volume ${lockVolumeName(stack)} exists but is not a stack lock; remove it (docker volume rm ${lockVolumeName(stack)})`,
      );
    return record;
  }

  async read(stack: string): Promise<LockRecord | undefined> {
    const volume = await this.inspect(lockVolumeName(stack));
    return volume === undefined ? undefined : this.toRecord(volume);
  }

  async renew(stack: string, token: string): Promise<void> {
    const previous = this.renewals.get(token);
    const n = (previous ?? 0) + 1;
    await this.create(`${lockVolumeName(stack)}.${token}.${n}`, {
      [LOCK_LABELS.stack]: stack,
      [LOCK_LABELS.renews]: token,
    });
    this.renewals.set(token, n);
    if (previous !== undefined && previous > 0)
      await this.removeVolume(`${lockVolumeName(stack)}.${token}.${previous}`);
  }

  async remove(stack: string, token: string): Promise<void> {
    const turn = `${lockVolumeName(stack)}.break`;
    const mine = newLockToken();
    const breaker = await this.create(turn, {
      [LOCK_LABELS.stack]: stack,
      [LOCK_LABELS.token]: mine,
    });
    if (breaker.Labels?.[LOCK_LABELS.token] !== mine) {
      // Another process is removing this lock now; the caller looks again. One that died
      // while removing would keep the turn for good: it is taken from it after a minute.
      const since = Date.parse(breaker.CreatedAt ?? "");
      if (Number.isFinite(since) && (await this.now()) - since > STALE_BREAK_MS)
        await this.removeVolume(turn);
      return;
    }
    try {
      const current = await this.inspect(lockVolumeName(stack));
      if (current?.Labels?.[LOCK_LABELS.token] !== token) return;
      await this.removeVolume(lockVolumeName(stack));
      // This process's own renewals are known by name; another holder's are looked up.
      const own = this.renewals.get(token);
      const renewals =
        own === undefined
          ? (await this.list(`${LOCK_LABELS.renews}=${token}`)).map((v) => v.Name)
          : own === 0
            ? []
            : [`${lockVolumeName(stack)}.${token}.${own}`];
      for (const name of renewals) await this.removeVolume(name);
    } finally {
      await this.removeVolume(turn);
    }
  }

  async now(): Promise<number> {
    const info = await this.call(
      "read the engine's clock",
      () => this.docker.info() as Promise<{ SystemTime?: string }>,
    );
    const t = Date.parse(info.SystemTime ?? "");
    return Number.isFinite(t) ? t : Date.now();
  }

  /** The record of lock volume `volume`, its last renewal included; undefined when not a lock. */
  private async toRecord(volume: VolumeItem, renewals = true): Promise<LockRecord | undefined> {
    const labels = volume.Labels ?? {};
    const token = labels[LOCK_LABELS.token];
    if (token === undefined) return undefined;
    const since = Date.parse(volume.CreatedAt ?? "");
    let renewedAtMs = Number.isFinite(since) ? since : 0;
    for (const v of renewals ? await this.list(`${LOCK_LABELS.renews}=${token}`) : []) {
      const t = Date.parse(v.CreatedAt ?? "");
      if (Number.isFinite(t) && t > renewedAtMs) renewedAtMs = t;
    }
    const processStart = labels[LOCK_LABELS.processStart];
    return {
      token,
      renewedAtMs,
      holder: {
        host: labels[LOCK_LABELS.host] ?? "unknown host",
        pid: Number(labels[LOCK_LABELS.pid] ?? 0),
        command: labels[LOCK_LABELS.command] ?? "",
        ...(processStart === undefined ? {} : { processStart }),
        since: volume.CreatedAt ?? "unknown",
      },
    };
  }
}
