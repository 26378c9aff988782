/**
 * Container log streams -> lines. The engine sends a non-TTY container's output
 * multiplexed: frames of an 8-byte header (byte 0 = stream: 1 stdout, 2 stderr; bytes 4-7 =
 * big-endian payload length) followed by the payload. A TTY container's output is raw bytes
 * on one stream (reported as stdout). Frames and lines may be split across chunks anywhere.
 */

/** One decoded piece of output. */
export interface LogChunk {
  readonly stream: "stdout" | "stderr";
  readonly data: Buffer;
}

const HEADER_BYTES = 8;

/**
 * Incremental decoder of the engine's multiplexed stream: feed chunks as they arrive, get
 * every complete frame back; an incomplete frame waits for the next chunk.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds `chunk` and returns the frames it completed, in order. */
  push(chunk: Buffer): LogChunk[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: LogChunk[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const kind = this.pending[0];
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + length) break;
      const data = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length);
      this.pending = this.pending.subarray(HEADER_BYTES + length);
      // 0 is stdin (only on attach), 1 stdout, 2 stderr (also used for system messages).
      out.push({ stream: kind === 2 ? "stderr" : "stdout", data });
    }
    return out;
  }

  /** Bytes of an incomplete frame still held (non-zero at the end means a truncated stream). */
  get buffered(): number {
    return this.pending.length;
  }
}

/**
 * Splits a byte stream into lines (without `\n` or a trailing `\r`), decoding UTF-8 only on
 * whole lines so a multi-byte character split across chunks survives.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds `data` and returns the lines it completed. */
  push(data: Buffer): string[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const lines: string[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf(0x0a)) >= 0) {
      lines.push(stripCr(this.pending.subarray(0, nl).toString("utf8")));
      this.pending = this.pending.subarray(nl + 1);
    }
    return lines;
  }

  /** The last, unterminated line, if any (call at end of stream). */
  flush(): string[] {
    if (this.pending.length === 0) return [];
    const rest = stripCr(this.pending.toString("utf8"));
    this.pending = Buffer.alloc(0);
    return [rest];
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$/s;

/**
 * Splits a line the engine prefixed with `timestamps=true` into its RFC 3339 time and the
 * text; a line without a timestamp comes back whole.
 */
export function splitTimestamp(line: string): { readonly time?: string; readonly text: string } {
  const m = TIMESTAMP.exec(line);
  if (m === null || m[1] === undefined || m[2] === undefined) return { text: line };
  return { time: m[1], text: m[2] };
}

/**
 * Decodes a log stream (multiplexed unless `tty`) into lines per stream. Lines of stdout and
 * stderr are split independently, so interleaved partial lines do not mix.
 */
export async function* decodeLogStream(
  chunks: AsyncIterable<Buffer | string>,
  tty: boolean,
): AsyncGenerator<{ readonly stream: "stdout" | "stderr"; readonly line: string }> {
  const demux = new FrameDemuxer();
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  for await (const raw of chunks) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    const pieces: LogChunk[] = tty ? [{ stream: "stdout", data: chunk }] : demux.push(chunk);
    for (const piece of pieces) {
      for (const line of splitters[piece.stream].push(piece.data))
        yield { stream: piece.stream, line };
    }
  }
  for (const stream of ["stdout", "stderr"] as const) {
    for (const line of splitters[stream].flush()) yield { stream, line };
  }
}
