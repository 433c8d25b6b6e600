import { isAbsolute, join } from 'node:path';

/**
 * What the agent needs to know from a load balancer's haproxy.cfg: where its stats socket and server-state
 * file are, and what each server line says (to tell which saved server states still apply).
 */

export interface ServerConfig {
  /** The address as HAProxy prints it in `show servers state` (IPv6 without brackets). */
  address: string;
  port: number;
  /** Has a health check (`check`). */
  checked: boolean;
  /** Starts in maintenance (`disabled`). */
  disabled: boolean;
  /** Health check target overrides (`addr`, `port`), undefined when the check goes to the server itself. */
  checkAddress: string | undefined;
  checkPort: number | undefined;
}

export interface HaproxyConfigFacts {
  /** The first stats socket bound to a Unix path. */
  statsSocket: string | undefined;
  /** `server-state-file`, resolved against `server-state-base`. */
  serverStateFile: string | undefined;
  /** Backend name to server name to its line. */
  backends: Map<string, Map<string, ServerConfig>>;
}

const SECTIONS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'resolvers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
]);

/** Parse what the agent needs; anything else in the config is ignored. */
export function haproxyConfigFacts(text: string): HaproxyConfigFacts {
  const facts: HaproxyConfigFacts = { statsSocket: undefined, serverStateFile: undefined, backends: new Map() };
  let section = '';
  let backend: Map<string, ServerConfig> | undefined;
  let stateFile: string | undefined;
  let stateBase: string | undefined;
  for (const raw of text.split('\n')) {
    const words = raw.trim().split(/\s+/);
    const keyword = words[0] ?? '';
    if (keyword === '' || keyword.startsWith('#')) continue;
    if (SECTIONS.has(keyword)) {
      section = keyword;
      backend = undefined;
      if ((keyword === 'backend' || keyword === 'listen') && words[1]) {
        backend = new Map();
        facts.backends.set(words[1], backend);
      }
      continue;
    }
    if (section === 'global') {
      if (keyword === 'stats' && words[1] === 'socket' && facts.statsSocket === undefined) {
        const path = unixPath(words[2]);
        if (path) facts.statsSocket = path;
      } else if (keyword === 'server-state-file') stateFile = words[1];
      else if (keyword === 'server-state-base') stateBase = words[1];
    } else if (backend && keyword === 'server' && words.length >= 3) {
      const server = serverConfig(words.slice(2));
      if (server) backend.set(words[1]!, server);
    }
  }
  if (stateFile) facts.serverStateFile = isAbsolute(stateFile) || !stateBase ? stateFile : join(stateBase, stateFile);
  return facts;
}

/** A stats socket address that names a Unix socket: `/path`, `unix@/path`. */
function unixPath(address: string | undefined): string | undefined {
  if (!address) return undefined;
  if (address.startsWith('unix@')) return address.slice('unix@'.length);
  return address.startsWith('/') ? address : undefined;
}

/** `<addr>:<port> [options...]` of a server line. */
function serverConfig(words: string[]): ServerConfig | undefined {
  const target = /^(?:\[([^\]]+)\]|(.*)):(\d+)$/.exec(words[0]!);
  if (!target) return undefined;
  const option = (name: string) => {
    const i = words.indexOf(name, 1);
    return i > 0 ? words[i + 1] : undefined;
  };
  const checkPort = option('port');
  return {
    address: target[1] ?? target[2]!,
    port: Number(target[3]),
    checked: words.includes('check'),
    disabled: words.includes('disabled'),
    checkAddress: option('addr'),
    checkPort: checkPort === undefined ? undefined : Number(checkPort),
  };
}
