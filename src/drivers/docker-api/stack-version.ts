import { createRequire } from "node:module";

/**
 * The version of `stack` written into the `stack.version` label, read from package.json.
 * Both `src/drivers/docker-api/` and `dist/drivers/docker-api/` sit three levels below the package
 * root; "0.0.0" when the file cannot be read (bundled elsewhere).
 */
export const STACK_VERSION: string = (() => {
  try {
    const pkg = createRequire(import.meta.url)("../../../package.json") as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
})();
