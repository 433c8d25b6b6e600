/** Output of the `tavia` identity commands, `-f table|value|json` as openstackclient offers. */

export type OutputFormat = 'table' | 'value' | 'json';

export function parseFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'value' || value === 'json') return value;
  throw new Error(`unknown format ${value}: use table, value or json`);
}

type Cell = string | number | boolean | null | undefined;
export type Record_ = Record<string, Cell>;

const text = (v: Cell) => (v === null || v === undefined ? '' : String(v));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [rule, line(header), rule, ...rows.map(line), rule].join('\n') + '\n';
}

/** Rows with the given columns. */
export function formatList(format: OutputFormat, columns: string[], rows: Record_[]): string {
  if (format === 'json')
    return (
      JSON.stringify(
        rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))),
        null,
        2,
      ) + '\n'
    );
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  if (format === 'value') return cells.map((r) => r.join(' ')).join('\n') + (cells.length > 0 ? '\n' : '');
  return table(columns, cells);
}

/** One entity as Field/Value pairs. */
export function formatOne(format: OutputFormat, entity: Record_): string {
  if (format === 'json') return JSON.stringify(entity, null, 2) + '\n';
  const keys = Object.keys(entity).sort();
  if (format === 'value') return keys.map((k) => text(entity[k])).join('\n') + '\n';
  return table(
    ['Field', 'Value'],
    keys.map((k) => [k, text(entity[k])]),
  );
}
