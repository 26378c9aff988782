import type { DocPath } from "../document.js";
import type { NormaliseContext } from "./normalise-context.js";

/**
 * Splits a shell-form command into words as compose does (go-shellwords without variable
 * or backtick expansion): whitespace separates words, single quotes are literal, double
 * quotes honour `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the
 * next character. Returns an error message for an unterminated quote or trailing backslash.
 */
export function shellSplit(text: string): string[] | string {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] ?? "")) {
        i++;
        if (text[i] !== "\n") word += text[i];
      } else word += c;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= text.length) return `unterminated escape at the end of "${text}"`;
      i++;
      if (text[i] !== "\n") word += text[i];
      inWord = true;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined)
    return `unterminated ${quote === "'" ? "single" : "double"} quote in "${text}"`;
  if (inWord) words.push(word);
  return words;
}

/**
 * Normalises `command:` / `entrypoint:`: a string is shell-split, a list is kept (items
 * stringified), null or absent gives undefined (keep the image's own).
 */
export function normaliseCommand(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    const words = shellSplit(value);
    if (typeof words === "string") {
      ctx.error(path, words);
      return undefined;
    }
    return words;
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : String(v)));
  ctx.error(path, "expected a string or a list of strings");
  return undefined;
}
