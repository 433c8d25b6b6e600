/** octaviaclient's column formatters: how nested values print in a row. */
export type Formatter = (value: unknown) => unknown;

/** [{id: a}, {id: b}] -> "a\nb" (listeners, pools, members, rules, ...). */
export const idList: Formatter = (value) =>
  Array.isArray(value) ? value.map((item) => String((item as { id?: unknown })?.id ?? '')).join('\n') : value;

/** ["a", "b"] -> "a\nb" (tags, allowed CIDRs). */
export const flatList: Formatter = (value) => (Array.isArray(value) ? value.map(String).join('\n') : value);

/** {a: 1, b: 2} -> "a=1\nb=2"; empty -> None (insert headers, session persistence). */
export const keyValues: Formatter = (value) => {
  if (!value || typeof value !== 'object' || Object.keys(value).length === 0) return null;
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${v === null ? 'None' : v === true ? 'True' : v === false ? 'False' : String(v)}`)
    .join('\n');
};

/** The cells of one object for the given fields: missing fields print empty, as osc-lib does. */
export function cellsOf(
  item: Record<string, unknown>,
  fields: readonly string[],
  formatters: Record<string, Formatter> = {},
): unknown[] {
  return fields.map((f) => {
    const value = f in item ? item[f] : '';
    const format = formatters[f];
    return format && f in item ? format(value) : value;
  });
}
