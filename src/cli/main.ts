import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig, useNoopDrivers, type TaviaConfig } from '../common/config.js';
import type { NodeRoles } from '../service/node.js';
import { registerClientCommands } from './client/index.js';
import { registerIdentityCommands } from '../identity/cli-commands.js';

/** Options every service command shares. */
interface ServiceOptions {
  config?: string;
  dataDir?: string;
  host?: string;
  port?: string;
  databaseUrl?: string;
  noop?: boolean;
  healthHost?: string;
  healthPort?: string;
}

function configFrom(opts: ServiceOptions): TaviaConfig {
  const config = loadConfig({ configPath: opts.config });
  if (opts.dataDir) config.dataDir = opts.dataDir;
  if (opts.host) config.api.host = opts.host;
  if (opts.port) config.api.port = Number(opts.port);
  if (opts.databaseUrl) config.database.url = opts.databaseUrl;
  if (opts.noop) useNoopDrivers(config);
  if (opts.healthHost) config.health.host = opts.healthHost;
  if (opts.healthPort) config.health.port = Number(opts.healthPort);
  return config;
}

function serviceCommand(program: Command, name: string, description: string, roles: NodeRoles): void {
  program
    .command(name)
    .description(description)
    .option('-c, --config <file>', 'YAML configuration file (or TAVIA_CONFIG)')
    .option('--data-dir <dir>', 'where the service keeps its data (default ./data, or TAVIA_DATA_DIR)')
    .option('--host <address>', 'API listen address (default 127.0.0.1)')
    .option('--port <port>', 'API listen port (default 9876)')
    .option('--database-url <url>', 'sqlite:FILE or postgres://... (default sqlite:tavia.db in the data dir)')
    .option('--noop', 'run with the no-op compute, network and amphora drivers (as Octavia functional tests do)')
    .option('--health-host <address>', 'heartbeat address of the health manager (default 127.0.0.1)')
    .option('--health-port <port>', 'heartbeat UDP port of the health manager (default 5555)')
    .action(async (opts: ServiceOptions) => {
      // Signals are taken from the first moment: one that arrives while the node starts stops it once started.
      let stopSignal: string | undefined;
      let stopNow: ((signal: string) => void) | undefined;
      const onSignal = (signal: string) => {
        stopSignal ??= signal;
        stopNow?.(signal);
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
      const { startNode } = await import('../service/node.js');
      const node = await startNode(configFrom(opts), roles);
      stopNow = (signal: string) => {
        node.log.info({ signal }, 'stopping');
        node.stop().then(
          () => process.exit(0),
          (err) => {
            node.log.error({ err }, 'unclean stop');
            process.exit(1);
          },
        );
      };
      if (stopSignal) stopNow(stopSignal);
    });
}

// Each command loads what it runs when it runs: the client commands start in a fraction of the time the
// service's modules (Fastify, Kysely, the database drivers, X.509) take to load.
const program = new Command();
program.name('tavia').description('Tavia: load balancing as a service, speaking the OpenStack Octavia v2 API');
serviceCommand(program, 'up', 'run the all-in-one service: API, controller worker, health manager (foreground)', {
  api: true,
  worker: true,
  healthManager: true,
});
serviceCommand(program, 'api', 'run only the Octavia v2 API', { api: true, worker: false });
serviceCommand(program, 'worker', 'run only the controller worker', { api: false, worker: true });
serviceCommand(program, 'health-manager', 'run only the health manager: heartbeats in, statuses and failovers out', {
  api: false,
  worker: false,
  healthManager: true,
});
program
  .command('migrate')
  .description('bring the database schema up to date and exit')
  .option('-c, --config <file>', 'YAML configuration file')
  .option('--data-dir <dir>', 'data directory')
  .option('--database-url <url>', 'database URL')
  .action(async (opts: ServiceOptions) => {
    const config = configFrom(opts);
    const { migrateToLatest, openDatabase } = await import('../db/database.js');
    const db = openDatabase(config.database.url, config.dataDir);
    await migrateToLatest(db);
    await db.close();
  });

interface AgentCommandOptions {
  stateDir: string;
  certDir: string;
  host: string;
  port: string;
  amphoraId?: string;
  heartbeatTarget: string[];
  heartbeatKeyFile?: string;
  heartbeatIntervalMs: string;
}

/** The standalone agent's heartbeat settings from its flags; none without targets. */
async function agentHeartbeat(opts: AgentCommandOptions) {
  if (opts.heartbeatTarget.length === 0) return undefined;
  const { validateHeartbeatSettings } = await import('../amphora/agent/heartbeat/heartbeat-settings.js');
  if (!opts.heartbeatKeyFile) throw new Error('--heartbeat-target needs --heartbeat-key-file');
  const checked = validateHeartbeatSettings({
    targets: opts.heartbeatTarget,
    key: readFileSync(opts.heartbeatKeyFile, 'utf8').trim(),
    intervalMs: Number(opts.heartbeatIntervalMs),
  });
  if ('error' in checked) throw new Error(`heartbeat: ${checked.error}`);
  return checked.settings;
}

// Internal: the process compute driver runs each amphora as this command (not part of the public CLI).
program
  .command('amphora-agent', { hidden: true })
  .description('run the amphora agent (mutual-TLS REST API driving HAProxy)')
  .requiredOption('--state-dir <dir>', 'where configs and HAProxy sockets live')
  .requiredOption('--cert-dir <dir>', 'holds server.pem, server.key and ca.pem')
  .option('--host <address>', 'listen address', '127.0.0.1')
  .option('--port <port>', 'listen port', '9443')
  .option('--amphora-id <id>', "the id heartbeats carry (default: the server certificate's common name)")
  .option(
    '--heartbeat-target <ip:port>',
    'a health manager address (repeat for several; one per message, in turn)',
    (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)],
    [] as string[],
  )
  .option('--heartbeat-key-file <path>', 'file holding the heartbeat HMAC key')
  .option('--heartbeat-interval-ms <ms>', 'milliseconds between heartbeats', '1000')
  .action(async (opts: AgentCommandOptions) => {
    const { startAgent } = await import('../amphora/agent/agent-server.js');
    const { readAgentCertificate } = await import('../amphora/agent/agent-cert-files.js');
    const agent = await startAgent({
      stateDir: opts.stateDir,
      host: opts.host,
      port: Number(opts.port),
      tls: await readAgentCertificate(opts.certDir),
      startStoredConfigs: true,
      amphoraId: opts.amphoraId,
      heartbeat: await agentHeartbeat(opts),
    });
    let stopping = false;
    const shutdown = () => {
      if (stopping) return;
      stopping = true;
      agent.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
    // Started by a controller with an IPC channel: go when the controller goes, whatever killed it.
    if (process.send) process.once('disconnect', shutdown);
  });

program
  .command('amphora-host', { hidden: true })
  .description('run many amphora agents in one process (the process compute driver starts it)')
  .requiredOption('--dir <dir>', 'the host folder: pid file and log; the host stops when it is removed')
  .requiredOption('--socket <path>', 'the control socket')
  .action(async (opts: { dir: string; socket: string }) => {
    const { createLogger } = await import('../common/logger.js');
    const { claimHostPidFile, releaseHostPidFile } = await import('../amphora/host/host-pid-file.js');
    const { startAmphoraHost } = await import('../amphora/host/amphora-host.js');
    const log = createLogger(process.env.TAVIA_LOG_LEVEL ?? 'info').child({ component: 'amphora-host' });
    if (!(await claimHostPidFile(opts.dir))) {
      log.info({ dir: opts.dir }, 'an amphora host already runs for this folder');
      return;
    }
    const host = await startAmphoraHost({ socketPath: opts.socket, ownerDir: opts.dir, log });
    const stop = () => void host.close();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => {});
    await host.closed;
    await releaseHostPidFile(opts.dir);
    log.info('amphora host stopped');
    process.exit(0);
  });

// Users, projects and role assignments of the identity service, on the database itself.
registerIdentityCommands(program, (opts) => configFrom(opts));
// The client: `tavia loadbalancer ...`, the twin of `openstack loadbalancer ...`.
registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
