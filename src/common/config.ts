import { readFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The typed configuration of every Tavia process. Sources, later wins: defaults, YAML file, environment. */
export interface TaviaConfig {
  /** Where the service keeps everything it writes (SQLite database, logs, later certificates). */
  dataDir: string;
  /** This node's name; a worker reclaims the jobs its own earlier incarnation held. */
  nodeId: string;
  logLevel: string;
  api: {
    host: string;
    port: number;
    /** Octavia's pagination_max_limit: default and cap of `limit`. */
    paginationMaxLimit: number;
    /** Largest accepted request body, bytes. */
    bodyLimit: number;
    /**
     * `keystone`: every call carries an `X-Auth-Token`, validated by the identity service, and Octavia's
     * default policy applies. `noauth`: Octavia's noauth mode (everyone is an admin; project from `X-Project-Id`).
     */
    authStrategy: 'keystone' | 'noauth';
  };
  /** The identity service (Keystone v3 compatible). */
  identity: {
    /** Serve Tavia's own identity service here (with `api`); port 0 picks a free one. */
    host: string;
    port: number;
    /** When set, tokens are validated by this external Keystone (its `/v3` root) and none is served. */
    externalUrl: string;
    /** Lifetime of an issued token. */
    tokenTtlSeconds: number;
    /** Region of the catalog's endpoints (devstack: RegionOne). */
    region: string;
  };
  /** The network API (the Neutron v2.0 subset), served with `api`. */
  networkApi: {
    host: string;
    port: number;
  };
  database: {
    /** `sqlite:PATH` (relative to dataDir), `sqlite::memory:` or a `postgres://` URL. */
    url: string;
  };
  drivers: {
    compute: string;
    network: string;
    amphora: string;
  };
  worker: {
    /** Jobs one worker runs at once. */
    concurrency: number;
    /** How often an idle worker looks for jobs queued by other nodes. */
    pollIntervalMs: number;
    /** How long a claimed job stays ours without a renewal; a crashed node's jobs are taken over after it. */
    leaseMs: number;
    /** A pause before every flow step; 0 in service. Tests raise it to kill a node in the middle of a flow. */
    stepDelayMs: number;
  };
  /** Heartbeats, the health manager and automatic failover. */
  health: {
    /** Address the health manager receives heartbeats on (Octavia: 127.0.0.1:5555); port 0 picks a free one. */
    host: string;
    port: number;
    /** HMAC key of the heartbeats; empty: generated once and kept in `<dataDir>/heartbeat.key`. */
    heartbeatKey: string;
    /** How often an amphora sends a heartbeat (Octavia: 10 s). */
    heartbeatIntervalMs: number;
    /** An amphora silent this long is failed over (Octavia: 60 s). */
    heartbeatTimeoutMs: number;
    /** How often the health manager looks for silent amphorae (Octavia: 3 s). */
    checkIntervalMs: number;
    /** Failovers are not started when more than this fraction of the amphorae fall silent at once. */
    failoverThreshold: number;
    /** Failovers started at once by one health manager (Octavia: 10). */
    failoverConcurrency: number;
  };
  quotas: {
    loadbalancer: number;
    listener: number;
    pool: number;
    healthmonitor: number;
    member: number;
    l7policy: number;
    l7rule: number;
  };
}

export const DEFAULT_CONFIG: TaviaConfig = {
  dataDir: './data',
  nodeId: hostname(),
  logLevel: 'info',
  api: { host: '127.0.0.1', port: 9876, paginationMaxLimit: 1000, bodyLimit: 1024 * 1024, authStrategy: 'keystone' },
  identity: { host: '127.0.0.1', port: 5000, externalUrl: '', tokenTtlSeconds: 3600, region: 'RegionOne' },
  networkApi: { host: '127.0.0.1', port: 9696 },
  database: { url: 'sqlite:tavia.db' },
  drivers: { compute: 'process', network: 'loopback', amphora: 'rest' },
  worker: { concurrency: 8, pollIntervalMs: 250, leaseMs: 15000, stepDelayMs: 0 },
  health: {
    host: '127.0.0.1',
    port: 5555,
    heartbeatKey: '',
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 3000,
    checkIntervalMs: 500,
    failoverThreshold: 0.5,
    failoverConcurrency: 10,
  },
  quotas: { loadbalancer: -1, listener: -1, pool: -1, healthmonitor: -1, member: -1, l7policy: -1, l7rule: -1 },
};

type Env = Record<string, string | undefined>;

/** Environment variables and the config path they override. */
const ENV_KEYS: Array<[string, string[], 'string' | 'number']> = [
  ['TAVIA_DATA_DIR', ['dataDir'], 'string'],
  ['TAVIA_NODE_ID', ['nodeId'], 'string'],
  ['TAVIA_LOG_LEVEL', ['logLevel'], 'string'],
  ['TAVIA_API_HOST', ['api', 'host'], 'string'],
  ['TAVIA_API_PORT', ['api', 'port'], 'number'],
  ['TAVIA_DATABASE_URL', ['database', 'url'], 'string'],
  ['TAVIA_AUTH_STRATEGY', ['api', 'authStrategy'], 'string'],
  ['TAVIA_IDENTITY_PORT', ['identity', 'port'], 'number'],
  ['TAVIA_IDENTITY_EXTERNAL_URL', ['identity', 'externalUrl'], 'string'],
  ['TAVIA_NETWORK_API_PORT', ['networkApi', 'port'], 'number'],
  ['TAVIA_WORKER_CONCURRENCY', ['worker', 'concurrency'], 'number'],
  ['TAVIA_WORKER_STEP_DELAY_MS', ['worker', 'stepDelayMs'], 'number'],
  ['TAVIA_WORKER_LEASE_MS', ['worker', 'leaseMs'], 'number'],
  ['TAVIA_WORKER_POLL_INTERVAL_MS', ['worker', 'pollIntervalMs'], 'number'],
  ['TAVIA_HEALTH_PORT', ['health', 'port'], 'number'],
  ['TAVIA_HEARTBEAT_KEY', ['health', 'heartbeatKey'], 'string'],
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge<T>(base: T, override: unknown): T {
  if (!isPlainObject(override) || !isPlainObject(base)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(camel in out)) throw new Error(`unknown configuration key: ${key}`);
    out[camel] = isPlainObject(out[camel]) ? merge(out[camel], value) : value;
  }
  return out as T;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * Load the configuration: defaults, then the YAML file named by `configPath` or TAVIA_CONFIG
 * (snake_case or camelCase keys), then TAVIA_* variables. TAVIA_NOOP=1 selects the noop drivers.
 */
export function loadConfig(opts: { configPath?: string; env?: Env; overrides?: unknown } = {}): TaviaConfig {
  const env = opts.env ?? process.env;
  let config = structuredClone(DEFAULT_CONFIG);
  const path = opts.configPath ?? env.TAVIA_CONFIG;
  if (path) {
    if (!existsSync(path)) throw new Error(`configuration file not found: ${path}`);
    config = merge(config, parseYaml(readFileSync(path, 'utf8')) ?? {});
  }
  for (const [name, keyPath, kind] of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = kind === 'number' ? Number(raw) : raw;
    if (kind === 'number' && !Number.isFinite(value)) throw new Error(`${name} must be a number`);
    setPath(config as unknown as Record<string, unknown>, keyPath, value);
  }
  if (env.TAVIA_NOOP === '1' || env.TAVIA_NOOP === 'true') useNoopDrivers(config);
  config = merge(config, opts.overrides ?? {});
  config.dataDir = resolve(config.dataDir);
  if (config.api.authStrategy !== 'keystone' && config.api.authStrategy !== 'noauth')
    throw new Error(`api.auth_strategy must be keystone or noauth, not ${String(config.api.authStrategy)}`);
  return config;
}

/** Octavia's functional-test mode: every driver is a no-op. */
export function useNoopDrivers(config: TaviaConfig): void {
  config.drivers = { compute: 'noop', network: 'noop', amphora: 'noop' };
}
