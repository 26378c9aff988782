/**
 * `names` in `order` (the file's dependency order, from the API); names it does not list
 * come after, by name. Both drivers walk the services of a control action this way.
 */
export function inOrder(names: readonly string[], order: readonly string[] | undefined): string[] {
  const unique = [...new Set(names)];
  const first = (order ?? []).filter((n) => unique.includes(n));
  return [...first, ...unique.filter((n) => !first.includes(n)).sort()];
}
