/**
 * `.env` / `--env-file` / `env_file:` parsing, following compose-go's dotenv dialect.
 */
import { SpecError } from "./errors.js";
import { interpolate, type VariableLookup } from "./interpolate.js";
import type { SpecIssue } from "../model/types.js";

const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;
const INLINE_SPACE = new Set([" ", "\t", "\r", "\v", "\f", "\u0085", "\u00a0"]);
const DOUBLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  '"': '"',
  "\\": "\\",
  // `\$` means a literal dollar; `$$` is its spelling for the interpolation step after this.
  $: "$$",
};

/**
 * Parses an env file into variables, in compose's dotenv format. Throws SpecError listing
 * every bad line as `file:line:col`.
 *
 * - `KEY=VAL`, `KEY: VAL` and `export KEY=VAL`; blank lines and `#` comment lines.
 * - Unquoted values run to the end of the line, lose a trailing ` # comment` (a `#` not
 *   preceded by a space is kept: `A=b#c` is `b#c`) and trailing spaces.
 * - `'single'` quotes are literal (only `\'` is unescaped); `"double"` quotes understand
 *   `\n \r \t \" \\ \$` (other backslashes stay) and may span lines. Both may be followed
 *   by a comment.
 * - Unquoted and double-quoted values are interpolated like the stack file (`${A}`,
 *   `${A:-x}`, ...): names resolve first to variables defined earlier in this file, then
 *   through `lookup`. Unset names become empty strings.
 * - A line with only `KEY` takes KEY from `lookup` and is skipped when `lookup` has none.
 * - Key names: letters, digits, `_`, `.`, `-`, `[`, `]`.
 *
 * @param file the name used in messages.
 */
export function parseEnvFile(
  text: string,
  file: string,
  lookup?: (name: string) => string | undefined,
): Record<string, string> {
  const parser = new EnvParser(text, file, lookup ?? (() => undefined));
  parser.run();
  if (parser.issues.length > 0) throw new SpecError(parser.issues);
  return Object.fromEntries(parser.values);
}

class EnvParser {
  readonly values = new Map<string, string>();
  readonly issues: SpecIssue[] = [];
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly lookup: VariableLookup;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly outer: VariableLookup,
  ) {
    if (text.charCodeAt(0) === 0xfeff) this.i = this.lineStart = 1;
    this.lookup = (name) => this.values.get(name) ?? this.outer(name);
  }

  run(): void {
    for (;;) {
      this.skipBlank();
      if (this.i >= this.text.length) return;
      if (this.text[this.i] === "#") {
        this.skipLine();
        continue;
      }
      this.statement();
    }
  }

  private peek(): string | undefined {
    return this.text[this.i];
  }

  private col(at = this.i): number {
    return at - this.lineStart + 1;
  }

  private issue(message: string, path = "", col = this.col(), line = this.line): void {
    this.issues.push({ pos: { file: this.file, line, col }, path, message });
  }

  private newline(): void {
    this.line++;
    this.lineStart = this.i + 1;
  }

  private skipBlank(): void {
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === "\n") this.newline();
      else if (!INLINE_SPACE.has(c)) return;
      this.i++;
    }
  }

  private skipInlineSpace(): void {
    while (this.i < this.text.length && INLINE_SPACE.has(this.text[this.i]!)) this.i++;
  }

  /** Moves to the start of the next line. */
  private skipLine(): void {
    const end = this.text.indexOf("\n", this.i);
    if (end < 0) {
      this.i = this.text.length;
      return;
    }
    this.i = end;
    this.newline();
    this.i = end + 1;
  }

  private statement(): void {
    if (/^export[ \t]/.test(this.text.slice(this.i, this.i + 7))) {
      this.i += 6;
      this.skipInlineSpace();
    }
    const keyStart = this.i;
    while (this.i < this.text.length && KEY_CHAR.test(this.text[this.i]!)) this.i++;
    const key = this.text.slice(keyStart, this.i);
    this.skipInlineSpace();
    const sep = this.peek();
    if (key === "") {
      this.issue(
        sep === "=" || sep === ":"
          ? `missing variable name before "${sep}"`
          : `unexpected character ${JSON.stringify(sep)} where a variable name should start`,
      );
      this.skipLine();
      return;
    }
    if (sep === undefined || sep === "\n") {
      // A bare `KEY` passes the variable through from the environment.
      const value = this.outer(key);
      if (value !== undefined) this.values.set(key, value);
      return;
    }
    if (sep !== "=" && sep !== ":") {
      this.issue(`unexpected character ${JSON.stringify(sep)} in variable name "${key}"`, key);
      this.skipLine();
      return;
    }
    this.i++;
    this.skipInlineSpace();
    const quote = this.peek();
    if (quote === '"' || quote === "'") this.quoted(key, quote);
    else this.unquoted(key);
  }

  private unquoted(key: string): void {
    const start = this.i;
    const startCol = this.col();
    let end = this.text.indexOf("\n", start);
    if (end < 0) end = this.text.length;
    let raw = this.text.slice(start, end);
    const comment = /[ \t]#/.exec(raw);
    if (comment) raw = raw.slice(0, comment.index);
    raw = raw.replace(/[ \t\r\v\f\u0085\u00a0]+$/u, "");
    this.store(key, raw, true, startCol, this.line);
    this.i = end;
  }

  private quoted(key: string, quote: string): void {
    const openLine = this.line;
    const openCol = this.col();
    this.i++;
    let raw = "";
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        this.issue(
          `unterminated ${quote === '"' ? "double" : "single"}-quoted value`,
          key,
          openCol,
          openLine,
        );
        return;
      }
      if (c === "\\") {
        const next = this.text[this.i + 1];
        if (next === undefined) {
          this.i++;
          continue;
        }
        if (quote === "'") raw += next === "'" ? "'" : `\\${next}`;
        else raw += DOUBLE_QUOTE_ESCAPES[next] ?? `\\${next}`;
        if (next === "\n") {
          this.i++;
          this.newline();
          this.i++;
          continue;
        }
        this.i += 2;
        continue;
      }
      if (c === quote) {
        this.i++;
        break;
      }
      if (c === "\n") this.newline();
      raw += c;
      this.i++;
    }
    this.store(key, raw, quote === '"', openCol, openLine);
    this.skipInlineSpace();
    const after = this.peek();
    if (after === "#") this.skipLine();
    else if (after !== undefined && after !== "\n") {
      this.issue("unexpected text after the closing quote (quote the whole value)", key);
      this.skipLine();
    }
  }

  private store(key: string, raw: string, expand: boolean, col: number, line: number): void {
    if (!expand) {
      this.values.set(key, raw);
      return;
    }
    const res = interpolate(raw, this.lookup);
    if (res.ok) this.values.set(key, res.value);
    else this.issue(res.error, key, col, line);
  }
}
