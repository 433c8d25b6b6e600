import type { HeartbeatSettings } from '../amphora/agent/heartbeat/heartbeat-settings.js';
import type { AmphoraDriver } from '../amphora/driver/amphora-driver.js';
import { NoopAmphoraDriver } from '../amphora/driver/noop-amphora-driver.js';
import { ControllerCredentials } from '../amphora/driver/rest/controller-credentials.js';
import { RestAmphoraDriver } from '../amphora/driver/rest/rest-amphora-driver.js';
import type { TaviaConfig } from '../common/config.js';
import type { ComputeDriver } from '../compute/compute-driver.js';
import { NoopComputeDriver } from '../compute/noop/noop-compute-driver.js';
import { processAgentMaxConn, processAgentStateDir } from '../compute/process/amphora-paths.js';
import { ProcessComputeDriver } from '../compute/process/process-compute-driver.js';
import type { Db } from '../db/database.js';
import type { NetworkDriver } from '../network/network-driver.js';
import { LoopbackNetworkDriver } from '../network/loopback/loopback-network-driver.js';
import { NoopNetworkDriver } from '../network/noop/noop-network-driver.js';

/** The drivers a node runs with, picked by name from the configuration. */
export interface Drivers {
  compute: ComputeDriver;
  network: NetworkDriver;
  amphora: AmphoraDriver;
  /** True when every driver is a no-op: load balancers stay OFFLINE, members NO_MONITOR. */
  noop: boolean;
  /**
   * Release what the drivers hold; called on node stop. `stopAmphorae` (the node running the worker stops
   * cleanly) also stops amphorae that run on this machine (the process compute driver's host).
   */
  close(options?: { stopAmphorae: boolean }): Promise<void>;
}

/** What a driver may need to be built: the node's configuration, database and shared CA access. */
interface DriverContext {
  config: TaviaConfig;
  db?: Db;
  credentials: ControllerCredentials;
  /** Where amphorae send heartbeats (the node's health managers). */
  heartbeat?: HeartbeatSettings;
}

/** What the node gives the drivers beyond its configuration and database. */
export interface DriverOptions {
  heartbeat?: HeartbeatSettings;
}

const COMPUTE: Record<string, (c: DriverContext) => ComputeDriver> = {
  noop: () => new NoopComputeDriver(),
  process: (c) => new ProcessComputeDriver(c.config.dataDir, c.credentials, c.heartbeat),
};
const NETWORK: Record<string, (c: DriverContext) => NetworkDriver> = {
  noop: () => new NoopNetworkDriver(),
  loopback: (c) => {
    if (!c.db) throw new Error(`the loopback network driver needs the node's database`);
    return new LoopbackNetworkDriver(c.db);
  },
};
const AMPHORA: Record<string, (c: DriverContext) => AmphoraDriver> = {
  noop: () => new NoopAmphoraDriver(),
  // The agents run on this host (process compute driver), so their state directories are known here.
  rest: (c) =>
    new RestAmphoraDriver(c.credentials, (a) => processAgentStateDir(c.config.dataDir, a.id), processAgentMaxConn()),
};

function pick<T>(kind: string, table: Record<string, (c: DriverContext) => T>, name: string, c: DriverContext): T {
  const make = table[name];
  if (!make) throw new Error(`unknown ${kind} driver '${name}' (known: ${Object.keys(table).join(', ')})`);
  return make(c);
}

/**
 * The drivers named by `config.drivers`; `db` is needed by drivers that keep state in it (loopback), `heartbeat`
 * by the process compute driver (the settings its amphorae send heartbeats with).
 */
export function createDrivers(config: TaviaConfig, db?: Db, options: DriverOptions = {}): Drivers {
  const { compute, network, amphora } = config.drivers;
  const context: DriverContext = {
    config,
    db,
    credentials: new ControllerCredentials(config.dataDir),
    heartbeat: options.heartbeat,
  };
  const computeDriver = pick('compute', COMPUTE, compute, context);
  return {
    compute: computeDriver,
    network: pick('network', NETWORK, network, context),
    amphora: pick('amphora', AMPHORA, amphora, context),
    noop: compute === 'noop' && network === 'noop' && amphora === 'noop',
    close: async (options = { stopAmphorae: false }) => {
      await computeDriver.close?.(options);
    },
  };
}
