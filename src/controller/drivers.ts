import type { AmphoraDriver } from '../amphora/driver/amphora-driver.js';
import { NoopAmphoraDriver } from '../amphora/driver/noop-amphora-driver.js';
import type { TaviaConfig } from '../common/config.js';
import type { ComputeDriver } from '../compute/compute-driver.js';
import { NoopComputeDriver } from '../compute/noop/noop-compute-driver.js';
import type { NetworkDriver } from '../network/network-driver.js';
import { NoopNetworkDriver } from '../network/noop/noop-network-driver.js';

/** The drivers a node runs with, picked by name from the configuration. */
export interface Drivers {
  compute: ComputeDriver;
  network: NetworkDriver;
  amphora: AmphoraDriver;
  /** True when every driver is a no-op: load balancers stay OFFLINE, members NO_MONITOR. */
  noop: boolean;
}

const COMPUTE: Record<string, () => ComputeDriver> = { noop: () => new NoopComputeDriver() };
const NETWORK: Record<string, () => NetworkDriver> = { noop: () => new NoopNetworkDriver() };
const AMPHORA: Record<string, () => AmphoraDriver> = { noop: () => new NoopAmphoraDriver() };

function pick<T>(kind: string, table: Record<string, () => T>, name: string): T {
  const make = table[name];
  if (!make) throw new Error(`unknown ${kind} driver '${name}' (known: ${Object.keys(table).join(', ')})`);
  return make();
}

export function createDrivers(config: TaviaConfig): Drivers {
  const { compute, network, amphora } = config.drivers;
  return {
    compute: pick('compute', COMPUTE, compute),
    network: pick('network', NETWORK, network),
    amphora: pick('amphora', AMPHORA, amphora),
    noop: compute === 'noop' && network === 'noop' && amphora === 'noop',
  };
}
