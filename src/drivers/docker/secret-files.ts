/**
 * Secrets and configs of the docker driver as files written into a created container.
 * PURE: tar is built and read in memory, users are resolved from passwd
 * and group text the caller fetched.
 *
 * Why files in the container and not a tmpfs or a bind mount (checked on dockerd 20.10, API
 * 1.41):
 * - `PUT /containers/{id}/archive` into a tmpfs mount of a created container succeeds, but
 *   the file lands in the image layer under the mount point: the tmpfs is mounted at start
 *   and hides it. A tmpfs cannot be filled before start.
 * - A bind mount shows the host file with the host's owner and mode, cannot carry content
 *   from an environment variable, and needs the file on the engine's host.
 * - Written through the archive API the content travels in the API request (so a remote
 *   engine works), lands owned by the service's user with mode 0400, and appears nowhere in
 *   `docker inspect` (not in Env, Labels, Mounts or Cmd). It lives in the container's
 *   writable layer, which is removed with the container. A read-only root filesystem refuses
 *   writes ("container rootfs is marked read-only"), so such services get an anonymous
 *   volume at each secret's directory, which the archive API does write into before start.
 */
import { EngineError } from "../../core/errors.js";
import type {
  FileObjectSpec,
  FileReferenceSpec,
  ServiceSpec,
  StackSpec,
} from "../../model/types.js";

/** One file to write into a container. */
export interface ContainerFile {
  /** Absolute path in the container. */
  readonly path: string;
  readonly content: Uint8Array;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** A numeric user and group, resolved from the service's `user:`. */
export interface NumericUser {
  readonly uid: number;
  readonly gid: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mode: number, uid: number, gid: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a slash: prefix (155 bytes) + name (100 bytes).
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new Error(`path too long for a tar header: ${name.length} characters`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, "utf8");
  h.write(octal(mode & 0o7777, 8), 100, "ascii");
  h.write(octal(uid, 8), 108, "ascii");
  h.write(octal(gid, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write("0", 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + " ", 148, "ascii");
  return h;
}

/**
 * A ustar archive of `files` (regular files only, paths made relative to `/`), with each
 * file's uid, gid and mode; extracted at `/` by the engine, missing parent directories are
 * created root-owned 0755. Throws for a path longer than ustar can hold.
 */
export function tarArchive(files: readonly ContainerFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const name = f.path.replace(/^\/+/, "");
    parts.push(header(name, f.content.length, f.mode, f.uid, f.gid));
    parts.push(Buffer.from(f.content));
    const pad = (BLOCK - (f.content.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

/** The content of the first regular file in a tar archive (what `GET .../archive` returns). */
export function firstTarFile(tar: Buffer): Buffer | undefined {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) return undefined;
    const size = parseInt(h.toString("ascii", 124, 136).replace(/\0.*$/, "").trim() || "0", 8);
    const type = String.fromCharCode(h[156] ?? 0);
    const start = offset + BLOCK;
    if (type === "0" || type === "\0") return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}

/** True when `user:` names its user and group (if any) by number only. */
export function isNumericUser(user: string | undefined): boolean {
  return user === undefined || /^\d+(:\d+)?$/.test(user);
}

function lookup(table: string | undefined, name: string, field: number): number | undefined {
  for (const line of (table ?? "").split("\n")) {
    const cols = line.split(":");
    if (cols[0] === name && cols[field] !== undefined && /^\d+$/.test(cols[field]))
      return Number(cols[field]);
  }
  return undefined;
}

/**
 * Resolves `user:` (`uid`, `uid:gid`, `name`, `name:group`; undefined means root) to numbers,
 * looking names up in the image's `/etc/passwd` and `/etc/group` text. A user without a group
 * gets its passwd primary group. Returns undefined when a name is not found.
 */
export function resolveUser(
  user: string | undefined,
  passwd?: string,
  group?: string,
): NumericUser | undefined {
  if (user === undefined || user === "") return { uid: 0, gid: 0 };
  const [u = "", g] = user.split(":");
  const uid = /^\d+$/.test(u) ? Number(u) : lookup(passwd, u, 2);
  if (uid === undefined) return undefined;
  let gid: number | undefined;
  if (g !== undefined && g !== "") gid = /^\d+$/.test(g) ? Number(g) : lookup(group, g, 2);
  else {
    const name = /^\d+$/.test(u)
      ? (passwd ?? "")
          .split("\n")
          .find((l) => l.split(":")[2] === u)
          ?.split(":")[0]
      : u;
    gid = name === undefined ? uid : (lookup(passwd, name, 3) ?? uid);
  }
  return gid === undefined ? undefined : { uid, gid };
}

/** The error-free part of the file plan: which object each file of `service` comes from. */
export interface FileSource {
  readonly kind: "secret" | "config";
  readonly ref: FileReferenceSpec;
  readonly object: FileObjectSpec;
}

/**
 * The secrets and configs `service` mounts, with their objects; throws (message naming the
 * key, never content) for an undeclared or external object, which the docker driver cannot
 * read: external secrets live in a swarm's store.
 */
export function fileSources(spec: StackSpec, service: ServiceSpec): FileSource[] {
  const out: FileSource[] = [];
  for (const kind of ["secret", "config"] as const) {
    const refs = kind === "secret" ? service.secrets : service.configs;
    const objects = kind === "secret" ? spec.secrets : spec.configs;
    for (const ref of refs) {
      const object = objects[ref.source];
      if (object === undefined)
        throw new EngineError(
          "invalid",
          `service ${service.name}: ${kind} "${ref.source}" is not declared`,
        );
      if (object.external)
        throw new EngineError(
          "invalid",
          `service ${service.name}: ${kind} "${ref.source}" is external; the docker driver cannot read a swarm's ${kind}s (use the swarm driver, or give file: or environment:)`,
        );
      out.push({ kind, ref, object });
    }
  }
  return out;
}

/**
 * The files to write for `sources`: owner from the reference's uid/gid, else the service's
 * resolved user; mode from the reference, else 0400 for secrets (readable by that user only)
 * and 0444 for configs (as swarm). `content` returns each object's bytes.
 */
export function containerFiles(
  sources: readonly FileSource[],
  user: NumericUser,
  content: (object: FileObjectSpec, kind: "secret" | "config") => Uint8Array,
): ContainerFile[] {
  return sources.map(({ kind, ref, object }) => ({
    path: ref.target,
    content: content(object, kind),
    uid: ref.uid !== undefined && /^\d+$/.test(ref.uid) ? Number(ref.uid) : user.uid,
    gid: ref.gid !== undefined && /^\d+$/.test(ref.gid) ? Number(ref.gid) : user.gid,
    mode: ref.mode ?? (kind === "secret" ? 0o400 : 0o444),
  }));
}

/**
 * Directories to hold the files of a service whose root filesystem is read-only (each gets
 * an anonymous volume the archive API can write into); `/` cannot be a volume, so a file
 * directly under it is refused there.
 */
export function readOnlyFileDirs(service: ServiceSpec): string[] {
  const dirs = new Set<string>();
  for (const ref of [...service.secrets, ...service.configs]) {
    const dir = ref.target.slice(0, ref.target.lastIndexOf("/"));
    if (dir === "")
      throw new EngineError(
        "invalid",
        `service ${service.name}: ${ref.target} is directly under / on a read-only root filesystem; give it a target in a directory such as /run/secrets`,
      );
    dirs.add(dir);
  }
  return [...dirs].sort();
}
