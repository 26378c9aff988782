import { distance } from "fastest-levenshtein";

/**
 * Returns the candidate closest to `word` when it is close enough to be a likely typo
 * (`enviroment` -> `environment`, `depends-on` -> `depends_on`, `Image` -> `image`), or
 * undefined when nothing is close. Ties go to the earliest candidate, so callers control
 * preference by order.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const needle = normaliseKey(word);
  // A third of the word's length: enough for a dropped or swapped letter in real keys,
  // while short words (`port`, `pid`) only match a one-letter slip.
  const limit = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    // Normalising keeps lengths, and the edit distance is at least the length difference:
    // most candidates are ruled out without computing it.
    if (Math.abs(candidate.length - needle.length) > limit) continue;
    const d = distance(needle, normaliseKey(candidate));
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

// Case and `-` vs `_` are the commonest slips in compose keys; they should not cost edits.
function normaliseKey(key: string): string {
  return key.toLowerCase().replaceAll("-", "_");
}
