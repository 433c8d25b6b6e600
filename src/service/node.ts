import type { FastifyInstance } from 'fastify';
import type { TaviaConfig } from '../common/config.js';
import { createLogger, type Logger } from '../common/logger.js';
import { recoverAmphorae } from '../controller/amphora-recovery.js';
import { startFailoverWatch, type FailoverWatch } from '../health/failover-watch.js';
import { startHealthManager, type RunningHealthManager } from '../health/health-manager.js';
import { heartbeatKey } from '../heartbeat/heartbeat-key.js';
import { createDrivers } from '../controller/drivers.js';
import { Worker } from '../controller/worker/worker.js';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { ensureDefaultNetworks } from '../network/default-networks.js';
import { releaseOrphanVipPorts } from '../network/orphan-ports.js';
import { startPublicApis, type PublicApis } from './public-apis.js';
import type { TokenValidator } from '../identity/auth-context.js';

/** Which parts of the control plane a process runs. `tavia up` runs them all. */
export interface NodeRoles {
  api: boolean;
  worker: boolean;
  /** Receive heartbeats and fail over silent amphorae. */
  healthManager?: boolean;
}

/** A running Tavia node: its parts, its listening address, and a clean stop. */
export interface TaviaNode {
  db: Db;
  api?: FastifyInstance;
  worker?: Worker;
  /** The health manager, when this node runs one. */
  health?: RunningHealthManager;
  /** `http://host:port` of the API, when this node serves it. */
  url?: string;
  /** The APIs this node serves (Octavia, network, identity) and their URLs. */
  apis?: PublicApis;
  log: Logger;
  stop(): Promise<void>;
}

/** Parts a caller may supply instead of the configured ones (tests). */
export interface NodeParts {
  /** Validates the API's tokens instead of the identity service. */
  tokens?: TokenValidator;
}

/** Open the database, bring its schema up to date and start the requested parts. */
export async function startNode(
  config: TaviaConfig,
  roles: NodeRoles,
  log = createLogger(config.logLevel),
  parts: NodeParts = {},
): Promise<TaviaNode> {
  const db = openDatabase(config.database.url, config.dataDir);
  await migrateToLatest(db);
  // Always, whatever the network driver: the stored networks are the node's stand-in for Neutron.
  await ensureDefaultNetworks(db);
  const orphans = await releaseOrphanVipPorts(db);
  if (orphans > 0) log.warn({ ports: orphans }, 'released VIP ports whose load balancer was never created');
  const key = heartbeatKey(config);
  let health: RunningHealthManager | undefined;
  let watch: FailoverWatch | undefined;
  let worker: Worker | undefined;
  // The heartbeat target: this process's health manager, or the configured one of another process.
  if (roles.healthManager) health = await startHealthManager({ db, config, log, key });
  const target = health?.address ?? { host: config.health.host, port: config.health.port };
  const heartbeat = {
    targets: [`${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`],
    key,
    intervalMs: config.health.heartbeatIntervalMs,
  };
  const drivers = createDrivers(config, db, { heartbeat });
  log.info({ database: db.dialect, drivers: config.drivers, dataDir: config.dataDir }, 'starting tavia');
  const stopParts = async () => {
    await watch?.stop();
    await worker?.stop();
    await health?.stop();
    await drivers.close({ stopAmphorae: roles.worker });
    await db.close();
  };

  if (roles.worker) {
    // Before any flow talks to an agent: the amphorae this node's drivers run must be up again.
    await recoverAmphorae(db, drivers, log.child({ component: 'recovery' }));
    worker = new Worker(db, drivers, { nodeId: config.nodeId, ...config.worker }, log.child({ component: 'worker' }));
    await worker.start();
  }
  // Noop amphorae send no heartbeats: watching them would fail every one over.
  if (health && config.drivers.amphora !== 'noop') {
    const running = health;
    watch = startFailoverWatch({
      db,
      config,
      log: log.child({ component: 'failover-watch' }),
      unwrittenHeartbeatAgeMs: () => running.backlogMs(),
    });
  }
  let apis: PublicApis | undefined;
  if (roles.api) {
    try {
      apis = await startPublicApis({ db, config, drivers, log, tokens: parts.tokens });
    } catch (err) {
      // Leave nothing running behind a node that could not start (timers, connections).
      await stopParts();
      throw err;
    }
    log.info({ url: apis.endpoints.loadBalancer }, 'Octavia v2 API listening');
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // The floating IP rules go with the amphorae they lead to.
      await apis?.close({ removeForwarding: roles.worker });
      await stopParts();
      log.info('tavia stopped');
    })());
  return { db, api: apis?.api, worker, health, url: apis?.endpoints.loadBalancer, apis, log, stop };
}
