import { formatPath, type DocPath, type LoadedDocument } from "../document.js";
import type { SpecIssue, SpecWarning } from "../../model/types.js";
import type { UnitResult } from "../units.js";

/**
 * Where a normalised object came from in the document. Semantic checks use it to locate
 * problems found after normalisation (an unknown dependency, a duplicate host port).
 */
export interface Origin {
  readonly path: DocPath;
}

/**
 * Shared state of one normalisation run: the document, the issues and warnings found so far
 * (every problem is collected, none throws) and the origin of each produced object.
 */
export class NormaliseContext {
  readonly issues: SpecIssue[] = [];
  readonly warnings: SpecWarning[] = [];
  /**
   * Keyed by the produced (later frozen) spec objects, so specs stay plain data. A Map, not
   * a WeakMap: it lives only as long as the normalise result, and WeakMap inserts cost
   * several times more (measured on a 1,000-service file).
   */
  readonly origins = new Map<object, Origin>();

  constructor(readonly doc: LoadedDocument) {}

  /** Records a located error; `key` points at the mapping key instead of its value. */
  error(path: DocPath, message: string, key = false): void {
    const pos = this.doc.positionOf(path, key);
    this.issues.push(
      pos ? { pos, path: formatPath(path), message } : { path: formatPath(path), message },
    );
  }

  /** Records a located warning; `key` points at the mapping key instead of its value. */
  warn(path: DocPath, message: string, key = false): void {
    const pos = this.doc.positionOf(path, key);
    this.warnings.push(
      pos ? { pos, path: formatPath(path), message } : { path: formatPath(path), message },
    );
  }

  /** Returns the parsed number, or records the parse error at `path` and returns undefined. */
  unit(result: UnitResult, path: DocPath): number | undefined {
    if (result.ok) return result.value;
    this.error(path, result.message);
    return undefined;
  }

  /** Remembers where `obj` came from and returns it. */
  at<T extends object>(obj: T, path: DocPath): T {
    this.origins.set(obj, { path });
    return obj;
  }

  /** Looks up an environment variable available for interpolation (`.env`, `--env-file`, process). */
  lookupEnv(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.doc.environment, name)
      ? this.doc.environment[name]
      : undefined;
  }
}
