/**
 * HAProxy's `show info` and `show stat` answers, parsed by column name (the column set grows between HAProxy
 * versions; positions are not relied on).
 */

/** A frontend: one listener. */
export interface FrontendStat {
  name: string;
  /** OPEN, FULL or STOP. */
  status: string;
  /** Current sessions. */
  scur: number;
  /** Session limit (the listener's maxconn); undefined when none is set. */
  slim: number | undefined;
  /** Sessions since the worker started. */
  stot: number;
  bin: number;
  bout: number;
  /** Request errors. */
  ereq: number;
}

/** A backend: one pool of one listener (`<pool_id>:<listener_id>`). */
export interface BackendStat {
  name: string;
  /** UP or DOWN. */
  status: string;
}

/** A server: one member of a backend. */
export interface ServerStat {
  backend: string;
  name: string;
  /** UP, DOWN, DRAIN, NOLB, MAINT, MAINT (via ...), no check, UP 1/3, DOWN 1/2, ... */
  status: string;
  weight: number;
  /** L4OK, L7STS, L4CON, "* L7OK" (check in progress), ...; empty without a health check. */
  checkStatus: string;
  /** Sessions sent to this server so far. */
  stot: number;
}

export interface HaproxyStats {
  frontends: FrontendStat[];
  backends: BackendStat[];
  servers: ServerStat[];
}

/** Which worker answered: counters restart at zero in every new worker. */
export interface WorkerIdentity {
  pid: number;
  /** When it started (seconds since the epoch); 0 when HAProxy does not say. */
  startTimeSec: number;
}

const FRONTEND = '0';
const BACKEND = '1';
const SERVER = '2';

/** Split CSV text into rows of fields; double quotes protect commas, newlines and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A count column: empty (not applicable) and garbage read as 0. */
function count(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : 0;
}

/** The `show stat` header: a `# ` line naming the pxname column. */
const STAT_HEADER = /^# (?:[^\n]*,)?pxname(?:,|$)/m;

const COLUMNS = [
  'pxname',
  'svname',
  'type',
  'status',
  'scur',
  'slim',
  'stot',
  'bin',
  'bout',
  'ereq',
  'weight',
  'check_status',
] as const;
type Column = (typeof COLUMNS)[number];

/** Where the wanted columns are in a header line; the header is the same for every answer of one HAProxy. */
let lastHeader: { line: string; at: Record<Column, number>; width: number } | undefined;

function columnsOf(headerLine: string): { at: Record<Column, number>; width: number } {
  if (lastHeader?.line === headerLine) return lastHeader;
  const names = headerLine.split(',').map((n) => n.trim());
  const at = Object.fromEntries(COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<Column, number>;
  lastHeader = { line: headerLine, at, width: Math.max(...Object.values(at)) + 1 };
  return lastHeader;
}

/** Parse the CSV of `show stat` (after its `# pxname,svname,...` header; anything before it is skipped). */
export function parseShowStat(text: string): HaproxyStats {
  const stats: HaproxyStats = { frontends: [], backends: [], servers: [] };
  const start = text.search(STAT_HEADER);
  if (start < 0) return stats;
  const body = text.slice(start + 2);
  const headerEnd = body.indexOf('\n');
  const { at, width } = columnsOf(headerEnd < 0 ? body : body.slice(0, headerEnd));
  if (headerEnd < 0) return stats;
  // Every heartbeat parses this: rows without quotes (nearly all) are split directly, up to the last column used.
  const rest = body.slice(headerEnd + 1);
  const rows = rest.includes('"') ? parseCsv(rest) : rest.split('\n').map((line) => line.split(',', width));
  for (const cols of rows) {
    if (cols.length < 2 || cols[0] === '') continue;
    const col = (c: Column) => (at[c] < 0 ? undefined : cols[at[c]]);
    const name = col('pxname') ?? '';
    const sv = col('svname') ?? '';
    const kind = col('type') ?? (sv === 'FRONTEND' ? FRONTEND : sv === 'BACKEND' ? BACKEND : SERVER);
    const status = col('status') ?? '';
    if (kind === FRONTEND) {
      const limit = col('slim');
      stats.frontends.push({
        name,
        status,
        scur: count(col('scur')),
        slim: limit === undefined || limit === '' ? undefined : count(limit),
        stot: count(col('stot')),
        bin: count(col('bin')),
        bout: count(col('bout')),
        ereq: count(col('ereq')),
      });
    } else if (kind === BACKEND) {
      stats.backends.push({ name, status });
    } else if (kind === SERVER) {
      stats.servers.push({
        backend: name,
        name: sv,
        status,
        weight: count(col('weight')),
        checkStatus: col('check_status') ?? '',
        stot: count(col('stot')),
      });
    }
  }
  return stats;
}

/** The worker's pid and start time from `show info` (`Name: value` lines); undefined without a pid. */
export function parseShowInfo(text: string): WorkerIdentity | undefined {
  const statStart = text.search(STAT_HEADER);
  const info = statStart < 0 ? text : text.slice(0, statStart);
  const pid = Number(/^Pid: *(\d+) *$/m.exec(info)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const start = Number(/^Start_time_sec: *(\d+) *$/m.exec(info)?.[1]);
  return { pid, startTimeSec: Number.isInteger(start) && start > 0 ? start : 0 };
}
