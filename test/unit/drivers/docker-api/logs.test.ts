import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeLogStream,
  FrameDemuxer,
  LineSplitter,
  splitTimestamp,
} from "../../../../src/drivers/docker-api/logs.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function* chunked(buffer: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield buffer.subarray(start, cut);
    start = cut;
  }
  yield buffer.subarray(start);
}

async function collect(chunks: AsyncIterable<Buffer>, tty: boolean) {
  const out: { stream: string; line: string }[] = [];
  for await (const l of decodeLogStream(chunks, tty)) out.push(l);
  return out;
}

describe("FrameDemuxer", () => {
  it("waits for a frame split across chunks", () => {
    const demux = new FrameDemuxer();
    const whole = frame(2, "error!\n");
    expect(demux.push(whole.subarray(0, 5))).toEqual([]);
    expect(demux.push(whole.subarray(5, 10))).toEqual([]);
    const [piece] = demux.push(whole.subarray(10));
    expect(piece?.stream).toBe("stderr");
    expect(piece?.data.toString()).toBe("error!\n");
    expect(demux.buffered).toBe(0);
  });
});

describe("decodeLogStream", () => {
  it("splits multiplexed output into lines per stream, however it is chunked", async () => {
    const input = Buffer.concat([
      frame(1, "one\ntw"),
      frame(2, "err ünïcode\n"),
      frame(1, "o\nthree"),
    ]);
    const expected = [
      { stream: "stdout", line: "one" },
      { stream: "stderr", line: "err ünïcode" },
      { stream: "stdout", line: "two" },
      { stream: "stdout", line: "three" },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          expect(await collect(chunked(input, cuts), false)).toEqual(expected);
        },
      ),
    );
  });

  it("reads a TTY stream raw as stdout, dropping carriage returns", async () => {
    expect(await collect(chunked(Buffer.from("a\r\nb\r\n"), [1]), true)).toEqual([
      { stream: "stdout", line: "a" },
      { stream: "stdout", line: "b" },
    ]);
  });
});

describe("LineSplitter", () => {
  it("keeps a multi-byte character split across chunks intact", () => {
    const bytes = Buffer.from("é\n");
    const s = new LineSplitter();
    expect(s.push(bytes.subarray(0, 1))).toEqual([]);
    expect(s.push(bytes.subarray(1))).toEqual(["é"]);
    expect(s.flush()).toEqual([]);
  });
});

describe("splitTimestamp", () => {
  it("separates the engine's RFC 3339 timestamp from the text", () => {
    expect(splitTimestamp("2026-11-23T00:01:02.123456789Z hello world")).toEqual({
      time: "2026-11-23T00:01:02.123456789Z",
      text: "hello world",
    });
    expect(splitTimestamp("no timestamp here")).toEqual({ text: "no timestamp here" });
  });
});
