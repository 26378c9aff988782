#!/usr/bin/env node
// A stand-in for OpenSSH's `ssh` in the transport's unit tests: same arguments, no network.
// - master (`-N -f`): records a login in $FAKE_SSH_LOG and creates the ControlPath file, or
//   fails like ssh when $FAKE_SSH_FAIL is set (its text on stderr, exit 255);
// - `-O exit`: removes the ControlPath file;
// - session (ends with the remote command): relays stdin/stdout to the unix socket
//   $FAKE_SSH_ENGINE, as `docker system dial-stdio` does; a session without a live
//   ControlPath counts as a login of its own; $FAKE_SSH_REMOTE_EXIT makes the remote command
//   fail with that status instead.
/* global process */
import { appendFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";

const args = process.argv.slice(2);
const option = (name) => {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === "-o" && args[i + 1].startsWith(`${name}=`)) {
      return args[i + 1].slice(name.length + 1).replace(/%%/g, "%");
    }
  }
  return undefined;
};
const log = (line) => appendFileSync(process.env.FAKE_SSH_LOG, `${line}\n`);
const controlPath = option("ControlPath");

if (args.includes("-O")) {
  if (controlPath !== undefined) rmSync(controlPath, { force: true });
  process.exit(0);
}
if (args.includes("-N")) {
  if (process.env.FAKE_SSH_FAIL) {
    process.stderr.write(`${process.env.FAKE_SSH_FAIL}\n`);
    process.exit(255);
  }
  log("login");
  writeFileSync(controlPath, "");
  process.exit(0);
}
if (process.env.FAKE_SSH_FAIL) {
  process.stderr.write(`${process.env.FAKE_SSH_FAIL}\n`);
  process.exit(255);
}
if (controlPath === undefined || !existsSync(controlPath)) log("login");
log(`session ${args.at(-1)}`);
if (process.env.FAKE_SSH_REMOTE_EXIT) {
  process.stderr.write("sh: 1: docker: not found\n");
  process.exit(Number(process.env.FAKE_SSH_REMOTE_EXIT));
}
const engine = net.connect(process.env.FAKE_SSH_ENGINE);
process.stdin.pipe(engine);
engine.pipe(process.stdout);
engine.on("end", () => process.stdout.end(() => process.exit(0)));
engine.on("error", (err) => {
  process.stderr.write(`dial-stdio: ${err.message}\n`);
  process.exit(1);
});
