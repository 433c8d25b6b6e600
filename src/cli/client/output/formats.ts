import { stringify as yamlStringify } from 'yaml';
import { pyStr } from '../../../api/validation/py-repr.js';
import { CliError } from '../runtime.js';
import { renderTable, type Align } from './table.js';

/** A printable value after the command's formatters: what cliff hands its formatters. */
export type Cell = unknown;

export const LIST_FORMATS = ['table', 'csv', 'json', 'value', 'yaml'] as const;
export const SHOW_FORMATS = ['table', 'json', 'shell', 'value', 'yaml'] as const;

export interface OutputOptions {
  format: string;
  columns: string[];
  noindent: boolean;
  printEmpty: boolean;
  quote: 'all' | 'minimal' | 'none' | 'nonnumeric';
  prefix: string;
  sortColumns: string[];
  sortDescending: boolean;
}

/** The columns -c asked for, in the command's own order; none asked: all of them. */
export function selectColumns(all: readonly string[], wanted: string[]): string[] {
  if (wanted.length === 0) return [...all];
  const chosen = all.filter((c) => wanted.includes(c));
  if (chosen.length === 0) {
    throw new CliError(`No recognized column names in ${pyStr(wanted)}. Recognized columns are ${pyTuple(all)}.`);
  }
  return chosen;
}

function pyTuple(items: readonly string[]): string {
  return `(${items.map((s) => pyStr([s]).slice(1, -1)).join(', ')}${items.length === 1 ? ',' : ''})`;
}

/** Print a list the way cliff's Lister does. */
export function renderList(allColumns: readonly string[], rows: Cell[][], opts: OutputOptions): string {
  const columns = selectColumns(allColumns, opts.columns);
  const index = columns.map((c) => allColumns.indexOf(c));
  let picked = rows.map((row) => index.map((i) => row[i]));
  picked = sortRows(columns, picked, opts);
  switch (opts.format) {
    case 'table': {
      const first = picked[0];
      // cliff aligns each column by the type of its value in the first row: numbers right.
      const aligns: Align[] = columns.map((_c, i) => (first && typeof first[i] === 'number' ? 'r' : 'l'));
      return (
        renderTable(
          columns,
          picked.map((row) => row.map(pyStr)),
          aligns,
          opts.printEmpty,
        ) + '\n'
      );
    }
    case 'value':
      return picked.map((row) => row.map(pyStr).join(' ') + '\n').join('');
    case 'json':
      return (
        jsonText(
          picked.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
          opts,
        ) + '\n'
      );
    case 'yaml':
      return yamlText(picked.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))));
    case 'csv':
      return [columns, ...picked].map((row) => row.map((v) => csvField(v, opts.quote)).join(',') + '\n').join('');
    default:
      throw new CliError(`Unknown output format '${opts.format}'`);
  }
}

/** Print one object the way cliff's ShowOne does (Field/Value). */
export function renderOne(allFields: readonly string[], values: Cell[], opts: OutputOptions): string {
  const fields = selectColumns(allFields, opts.columns);
  const picked = fields.map((f) => values[allFields.indexOf(f)]);
  switch (opts.format) {
    case 'table':
      return (
        renderTable(
          ['Field', 'Value'],
          fields.map((f, i) => [f, pyStr(picked[i])]),
          ['l', 'l'],
        ) + '\n'
      );
    case 'value':
      return picked.map((v) => pyStr(v) + '\n').join('');
    case 'json':
      return jsonText(Object.fromEntries(fields.map((f, i) => [f, picked[i]])), opts) + '\n';
    case 'yaml':
      return yamlText(Object.fromEntries(fields.map((f, i) => [f, picked[i]])));
    case 'shell':
      return fields
        .map((f, i) => {
          const v = picked[i];
          const text = typeof v === 'string' ? v.replace(/"/g, '\\"').replace(/\$/g, '\\$') : pyStr(v);
          return `${opts.prefix}${f.replace(/[:\-\s]/g, '_')}="${text}"\n`;
        })
        .join('');
    default:
      throw new CliError(`Unknown output format '${opts.format}'`);
  }
}

/** json.dumps: indent 2, or Python's one-line separators with --noindent. */
function jsonText(value: unknown, opts: OutputOptions): string {
  if (!opts.noindent) return JSON.stringify(value, null, 2);
  return pyCompactJson(value);
}

function pyCompactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyCompactJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${JSON.stringify(k)}: ${pyCompactJson(v)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * yaml.safe_dump(default_flow_style=False): block style, keys sorted, YAML 1.1 (so strings that read as
 * timestamps or booleans there are quoted) with single quotes, as PyYAML writes them.
 */
function yamlText(value: unknown): string {
  return yamlStringify(value, { sortMapEntries: true, version: '1.1', singleQuote: true, indentSeq: false });
}

/** Python's csv writer: QUOTE_NONNUMERIC by default (numbers and booleans bare, None as ""). */
function csvField(value: Cell, quote: OutputOptions['quote']): string {
  const numeric = typeof value === 'number' || typeof value === 'boolean';
  const text = value === null || value === undefined ? '' : pyStr(value);
  const escaped = text.replace(/"/g, '""');
  const needsQuotes = /[",\r\n]/.test(text);
  switch (quote) {
    case 'all':
      return `"${escaped}"`;
    case 'minimal':
      return needsQuotes ? `"${escaped}"` : text;
    case 'none':
      return text;
    default:
      return numeric ? text : `"${escaped}"`;
  }
}

function sortRows(columns: string[], rows: Cell[][], opts: OutputOptions): Cell[][] {
  const keys = opts.sortColumns.map((c) => columns.indexOf(c)).filter((i) => i >= 0);
  if (keys.length === 0) return rows;
  const sign = opts.sortDescending ? -1 : 1;
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const c = compareCells(a[k], b[k]);
      if (c !== 0) return c * sign;
    }
    return 0;
  });
}

function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a === null || a === undefined ? '' : pyStr(a);
  const y = b === null || b === undefined ? '' : pyStr(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
