import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../../amphora/agent/haproxy-process.js';
import { agentRequest } from '../../amphora/driver/rest/agent-client.js';
import type { ControllerCredentials } from '../../amphora/driver/rest/controller-credentials.js';
import type { AmphoraBuildRequest, BuiltAmphora, ComputeDriver } from '../compute-driver.js';
import { processAgentStateDir, processAmphoraDir } from './amphora-paths.js';

/** Every agent listens here; the port tells them apart. */
export const AGENT_HOST = '127.0.0.1';
const COMPUTE_ID = /^process:([A-Za-z0-9-]+):(\d+)$/;
const READY_TIMEOUT_MS = 20_000;
const PROBE_TIMEOUT_MS = 1_000;
const POLL_MS = 100;
const SOFT_STOP_MS = 5_000;
const HARD_STOP_MS = 2_000;
const OUTPUT_LIMIT = 16 * 1024;

/** The CLI the agents run from: the TypeScript source under tsx, or the compiled JavaScript. */
const SELF = fileURLToPath(import.meta.url);
const CLI = SELF.endsWith('.ts') ? join(SELF, '../../../cli/main.ts') : join(SELF, '../../../cli/main.js');
const NODE_ARGS = SELF.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];

interface RunningAmphora {
  child: ChildProcess;
  built: BuiltAmphora;
  output: string;
}

/**
 * Amphorae as local processes: each one is `tavia amphora-agent` (the real agent, driving a real HAProxy)
 * on 127.0.0.1 and a free port, with a server certificate from the control plane CA in
 * `<dataDir>/amphorae/<id>/`. The compute id is `process:<amphora id>:<port>`; lb_network_ip is 127.0.0.1.
 *
 * The agents are children of the controller (with an IPC channel: an agent exits when its controller
 * goes away, even on SIGKILL) and `close()` stops them all when the node stops. A restarted controller
 * therefore finds its amphorae' agents gone: their rows stay ALLOCATED until a failover rebuilds them.
 */
export class ProcessComputeDriver implements ComputeDriver {
  readonly name = 'process';
  private readonly running = new Map<string, RunningAmphora>();
  private readonly pending = new Map<string, Promise<BuiltAmphora>>();
  private readonly killOnExit = () => {
    for (const r of this.running.values()) r.child.kill('SIGKILL');
  };

  constructor(
    private readonly dataDir: string,
    private readonly credentials: ControllerCredentials,
  ) {
    process.once('exit', this.killOnExit);
  }

  build(request: AmphoraBuildRequest): Promise<BuiltAmphora> {
    const id = request.amphoraId;
    const live = this.running.get(id);
    if (live && isRunning(live.child)) return Promise.resolve(live.built);
    let started = this.pending.get(id);
    if (!started) {
      started = this.start(id).finally(() => this.pending.delete(id));
      this.pending.set(id, started);
    }
    return started;
  }

  async destroy(computeId: string): Promise<void> {
    const match = COMPUTE_ID.exec(computeId);
    if (!match) return;
    const id = match[1]!;
    await this.pending.get(id)?.catch(() => undefined);
    await this.stop(id);
    await rm(processAmphoraDir(this.dataDir, id), { recursive: true, force: true });
    await rm(processAgentStateDir(this.dataDir, id), { recursive: true, force: true });
  }

  /** Stop every agent this driver started (node stop). */
  async close(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
    process.off('exit', this.killOnExit);
  }

  private async start(id: string): Promise<BuiltAmphora> {
    await this.stop(id); // an agent left by an earlier attempt that never answered
    const dir = processAmphoraDir(this.dataDir, id);
    const certDir = join(dir, 'certs');
    await mkdir(certDir, { recursive: true, mode: 0o700 });
    const ca = await this.credentials.ca();
    const cert = await ca.issueServerCertificate(id, { ipAddresses: [AGENT_HOST] });
    await writeFile(join(certDir, 'server.pem'), cert.certPem, { mode: 0o644 });
    await writeFile(join(certDir, 'server.key'), cert.keyPem, { mode: 0o600 });
    await writeFile(join(certDir, 'ca.pem'), cert.caPem, { mode: 0o644 });

    const port = await freePort();
    const args = [
      ...NODE_ARGS,
      CLI,
      'amphora-agent',
      ...['--state-dir', processAgentStateDir(this.dataDir, id)],
      ...['--host', AGENT_HOST, '--port', String(port), '--cert-dir', certDir],
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const built: BuiltAmphora = { computeId: `process:${id}:${port}`, lbNetworkIp: AGENT_HOST };
    const entry: RunningAmphora = { child, built, output: '' };
    const keep = (chunk: Buffer) => (entry.output = (entry.output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(String(err))));
    this.running.set(id, entry);
    if (child.pid !== undefined) await writeFile(join(dir, 'agent.pid'), String(child.pid));
    try {
      await this.waitReady(id, entry, port);
    } catch (err) {
      await this.stop(id);
      throw err;
    }
    return built;
  }

  private async waitReady(id: string, entry: RunningAmphora, port: number): Promise<void> {
    const client = await this.credentials.client();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!isRunning(entry.child)) throw new Error(`amphora agent ${id} exited while starting: ${entry.output}`);
      const answered = await agentRequest(
        { host: AGENT_HOST, port, amphoraId: id },
        client,
        'GET',
        '/',
        undefined,
        PROBE_TIMEOUT_MS,
      ).then(
        (res) => res.status === 200,
        () => false,
      );
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`amphora agent ${id} did not answer within ${READY_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  }

  /** SIGTERM (the agent stops its HAProxies), then SIGKILL after a bounded wait. */
  private async stop(id: string): Promise<void> {
    const entry = this.running.get(id);
    this.running.delete(id);
    if (entry) {
      await terminate(entry.child);
      return;
    }
    // Not ours in this life: an agent whose pid file survived, if the pid still runs that agent.
    const pid = await readPid(processAmphoraDir(this.dataDir, id));
    if (pid !== undefined && isAgentOf(pid, processAmphoraDir(this.dataDir, id))) await terminatePid(pid);
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  child.kill('SIGTERM');
  if (await within(SOFT_STOP_MS)) return;
  child.kill('SIGKILL');
  await within(HARD_STOP_MS);
}

async function terminatePid(pid: number): Promise<void> {
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (pidAlive(pid)) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  };
  process.kill(pid, 'SIGTERM');
  if (await gone(SOFT_STOP_MS)) return;
  process.kill(pid, 'SIGKILL');
  await gone(HARD_STOP_MS);
}

async function readPid(dir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dir, 'agent.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Guards against pid reuse: the process must be an amphora-agent using this amphora's directory. */
function isAgentOf(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return pidAlive(pid) && cmdline.includes('amphora-agent') && cmdline.includes(dir);
  } catch {
    return false;
  }
}

/** A port nobody listens on right now on the agents' address. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, AGENT_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
