/**
 * Left-aligned columns separated by three spaces, like `docker ps`. Empty cells print as `-`
 * so columns stay readable when split on whitespace.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cells = rows.map((row) =>
    headers.map((_, i) => (row[i] === undefined || row[i] === "" ? "-" : row[i]!)),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n") + "\n";
}

/** Compact age of an ISO timestamp relative to `now`: `45s`, `12m`, `3h`, `2d`. */
export function formatAge(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const ms = now.getTime() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return "";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
