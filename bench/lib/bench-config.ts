import { loadConfig, type TaviaConfig } from '../../src/common/config.js';

/** The real data plane: amphorae run by the process driver, loopback VIPs, the REST amphora driver. */
export const REAL_DRIVERS = { compute: 'process', network: 'loopback', amphora: 'rest' };

/**
 * A benchmark node's configuration: its own data dir and database, every listener on a free loopback port,
 * Octavia's noauth mode (the benchmarks measure the data and control planes, not token checks), plus `extra`.
 * A node that runs its own health manager passes `health: { port: 0 }`; its agents are told the port it got.
 */
export function benchConfig(dataDir: string, databaseUrl: string, extra: Record<string, unknown> = {}): TaviaConfig {
  return loadConfig({
    env: {},
    overrides: {
      dataDir,
      database: { url: databaseUrl },
      api: { host: '127.0.0.1', port: 0, authStrategy: 'noauth' },
      identity: { port: 0 },
      networkApi: { port: 0 },
      ...extra,
    },
  });
}
