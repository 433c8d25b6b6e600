/**
 * cliff's tables (PrettyTable with borders and one space of padding): `+---+` rules, a header row,
 * cells of several lines when a value holds newlines.
 */
export type Align = 'l' | 'r';

export function renderTable(headers: string[], rows: string[][], aligns: Align[], printEmpty = true): string {
  if (rows.length === 0 && !printEmpty) return '';
  const cellLines = rows.map((row) => row.map((cell) => cell.split('\n')));
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cellLines.map((row) => Math.max(0, ...(row[i] ?? ['']).map((line) => line.length)))),
  );
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (cells: string[]) =>
    '|' + cells.map((c, i) => ' ' + justify(c, widths[i]!, aligns[i] ?? 'l') + ' ').join('|') + '|';
  const out = [rule, line(headers), rule];
  for (const row of cellLines) {
    const height = Math.max(1, ...row.map((lines) => lines.length));
    for (let k = 0; k < height; k++) out.push(line(row.map((lines) => lines[k] ?? '')));
  }
  if (rows.length > 0 || printEmpty) out.push(rule);
  return out.join('\n');
}

function justify(text: string, width: number, align: Align): string {
  return align === 'r' ? text.padStart(width) : text.padEnd(width);
}
