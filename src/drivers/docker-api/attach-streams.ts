/**
 * Streams of a process in a container, as the Docker API hands them over (`exec start` and
 * `attach`), joined to the caller's streams: shared by both Docker-API drivers.
 *
 * Engine behaviour relied on (checked on dockerd 20.10, API 1.41): without a TTY the output
 * is multiplexed (8-byte frame headers naming stdout or stderr), with a TTY it is one raw
 * stream; a hijacked connection (`Upgrade: tcp`) carries stdin the other way, and closing
 * our write side (end of our stdin) closes the process's stdin while its output keeps
 * coming; the engine closes the connection when the process ends. An exec whose command
 * cannot be started ends its stream at once and reports exit code 126 (not executable) or
 * 127 (not found) in its inspect result, as `docker exec` exits.
 */
import type Dockerode from "dockerode";
import type { Duplex } from "node:stream";
import type { ExecOptions, TerminalSize } from "../../core/driver.js";
import { EngineError } from "../../core/errors.js";

/** The caller's side of an attached process. */
export interface AttachedStreams {
  readonly tty: boolean;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

/**
 * Joins `stream` (the engine's side) to `streams` and resolves once the engine ended the
 * output; our stdin is unpiped then, so a stdin that never ends does not keep us waiting.
 */
export function joinStreams(
  modem: Dockerode["modem"],
  stream: NodeJS.ReadableStream,
  streams: AttachedStreams,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = (s: NodeJS.WritableStream | undefined): NodeJS.WritableStream =>
      s ??
      ({
        write: () => true,
        end: () => undefined,
        on: () => undefined,
        once: () => undefined,
        emit: () => false,
        removeListener: () => undefined,
      } as unknown as NodeJS.WritableStream);
    if (streams.tty) {
      stream.on("data", (chunk: Buffer) => sink(streams.stdout).write(chunk));
    } else {
      modem.demuxStream(stream, sink(streams.stdout), sink(streams.stderr));
    }
    const { stdin } = streams;
    if (stdin !== undefined) stdin.pipe(stream as unknown as Duplex);
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (stdin !== undefined) {
        stdin.unpipe(stream as unknown as Duplex);
        // A paused stdin no longer holds the event loop open.
        stdin.pause();
      }
      if (err) reject(err);
      else resolve();
    };
    stream.on("end", () => done());
    stream.on("close", () => done());
    stream.on("error", (err: Error) => done(err));
  });
}

/** Keeps the engine's terminal size equal to `terminal`'s until the returned function is called. */
export function followTerminalSize(
  terminal: TerminalSize | undefined,
  resize: (size: { h: number; w: number }) => Promise<unknown>,
): () => void {
  if (terminal === undefined) return () => {};
  const apply = () => {
    const { rows, columns } = terminal.size();
    // A resize racing the process's end fails harmlessly (404/409).
    resize({ h: rows, w: columns }).catch(() => undefined);
  };
  apply();
  return terminal.onResize(apply);
}

/**
 * Runs `options.cmd` in container `id` with the streams attached (`docker exec`) and returns
 * its exit code. `fail` classifies engine errors with a context.
 */
export async function execInContainer(
  docker: Dockerode,
  id: string,
  options: ExecOptions,
  fail: (err: unknown, context: string) => EngineError,
): Promise<number> {
  const context = `exec ${options.cmd.join(" ")} in container ${id}`;
  const tty = options.tty === true;
  const attachStdin = options.stdin !== undefined;
  let exec: Dockerode.Exec;
  let stream: NodeJS.ReadableStream;
  try {
    exec = await docker.getContainer(id).exec({
      Cmd: [...options.cmd],
      AttachStdin: attachStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      ...(options.user !== undefined && { User: options.user }),
      ...(options.workingDir !== undefined && { WorkingDir: options.workingDir }),
      ...(options.env !== undefined && options.env.length > 0 && { Env: [...options.env] }),
      ...(options.privileged === true && { Privileged: true }),
    });
    stream = (await exec.start({
      hijack: attachStdin,
      stdin: attachStdin,
      Tty: tty,
    })) as NodeJS.ReadableStream;
  } catch (err) {
    throw fail(err, context);
  }
  const stopResizing = tty
    ? followTerminalSize(options.terminal, (size) => exec.resize(size))
    : () => {};
  try {
    await joinStreams(docker.modem, stream, {
      tty,
      ...(options.stdin !== undefined && { stdin: options.stdin }),
      ...(options.stdout !== undefined && { stdout: options.stdout }),
      ...(options.stderr !== undefined && { stderr: options.stderr }),
    });
  } catch (err) {
    throw fail(err, context);
  } finally {
    stopResizing();
  }
  // The exit code is recorded a moment after the stream ends.
  const deadline = Date.now() + 10_000;
  for (;;) {
    let info: { Running?: boolean; ExitCode?: number | null };
    try {
      info = (await exec.inspect()) as { Running?: boolean; ExitCode?: number | null };
    } catch (err) {
      throw fail(err, context);
    }
    if (info.Running !== true && typeof info.ExitCode === "number") return info.ExitCode;
    if (Date.now() > deadline)
      throw new EngineError("server", `${context}: the engine reported no exit code`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
