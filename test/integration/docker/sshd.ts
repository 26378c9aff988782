/**
 * The test sshd of scripts/sshd.sh (loopback only; its own host and client keys, agent,
 * known_hosts and ssh config, so the user's ~/.ssh and ~/.docker are never read) for the
 * ssh:// tests: start it, read its environment, count its logins.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");

/**
 * Starts the test sshd (idempotent: scripts/test.sh starts it before the run and stops it
 * after) and returns the variables its `env` prints: PATH with the ssh shim first,
 * SSH_AUTH_SOCK, a private DOCKER_CONFIG, STACK_SSHD_HOST (`ssh://stack-sshd`), STACK_SSHD_LOG.
 * When it cannot start: throws under CI=true, so CI never passes by skipping; elsewhere
 * warns and returns undefined, for `describe.skipIf`.
 */
export function requireSshd(): Record<string, string> | undefined {
  try {
    const out = execFileSync("bash", [path.join(ROOT, "scripts/sshd.sh"), "up"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const env: Record<string, string> = {};
    for (const line of out.split("\n")) {
      const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
      if (m !== null) env[m[1]!] = m[2]!;
    }
    return env;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (process.env["CI"] === "true") throw new Error(`ssh tests need the test sshd: ${why}`);
    console.warn(`skipping ssh tests: cannot start the test sshd: ${why}`);
    return undefined;
  }
}

/**
 * Logins the test sshd accepted so far with the client key of `alias`: `stack-sshd`, or
 * `stack-sshd-transport` (a key of its own, so two test files running at once can each
 * count theirs). Compare differences: the log lives as long as the sshd.
 */
export function sshdLogins(
  sshd: Record<string, string>,
  alias: "stack-sshd" | "stack-sshd-transport" = "stack-sshd",
): number {
  const key = alias === "stack-sshd" ? "client_ed25519.pub" : "transport_ed25519.pub";
  // "256 SHA256:... comment (ED25519)"; sshd logs "Accepted publickey ... ED25519 SHA256:...".
  const fingerprint = execFileSync("ssh-keygen", ["-lf", path.join(sshd["STACK_SSHD_DIR"]!, key)], {
    encoding: "utf8",
  }).split(" ")[1]!;
  return readFileSync(sshd["STACK_SSHD_LOG"]!, "utf8")
    .split("\n")
    .filter((l) => l.includes("Accepted publickey") && l.includes(` ${fingerprint}`)).length;
}
