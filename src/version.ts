import { createRequire } from "node:module";

/** The version of this package, read from package.json (labels record it on engine objects). */
export const STACK_VERSION: string = (
  createRequire(import.meta.url)("../package.json") as { version: string }
).version;
