import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../../amphora/agent/haproxy-process.js';
import type { HostedAmphora, HostedAmphoraSpec, HostError } from '../../amphora/host/host-protocol.js';
import { amphoraHostDir, amphoraHostSocket } from './amphora-paths.js';

const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 50;
/** Starting an agent boots its stored configs (one HAProxy start each): allow for many. */
const REQUEST_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

/** The CLI the host runs from: the TypeScript source under tsx, or the compiled JavaScript. */
const SELF = fileURLToPath(import.meta.url);
const CLI = SELF.endsWith('.ts') ? join(SELF, '../../../cli/main.ts') : join(SELF, '../../../cli/main.js');
const NODE_ARGS = SELF.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];

/** The control socket is missing or nobody listens on it: no host runs. */
function isHostAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/** A control API answer that is not a success. */
export class AmphoraHostError extends Error {
  constructor(
    readonly status: number,
    readonly body: HostError | undefined,
  ) {
    super(`amphora host answered ${status}: ${body?.error ?? 'no details'}`);
  }
}

/**
 * The controller's side of the amphora host: starts it (detached, so it outlives this process) when it
 * does not answer, and asks it to run or remove amphorae.
 */
export class AmphoraHostClient {
  private readonly socketPath: string;
  private readonly dir: string;
  private starting: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.dir = amphoraHostDir(dataDir);
    this.socketPath = amphoraHostSocket(dataDir);
  }

  /** Run the amphora's agent (idempotent: an agent already running is returned as it is). */
  async ensureAmphora(id: string, spec: HostedAmphoraSpec): Promise<HostedAmphora> {
    // Ask first; only a host that is not there (no socket, nobody listening) is started, then asked again.
    try {
      return (await this.call('PUT', `/amphorae/${id}`, spec)) as HostedAmphora;
    } catch (err) {
      if (!isHostAbsent(err)) throw err;
    }
    await this.ensureHost();
    return (await this.call('PUT', `/amphorae/${id}`, spec)) as HostedAmphora;
  }

  /** The amphora if the host runs it; undefined when it does not (or no host runs). */
  async find(id: string): Promise<HostedAmphora | undefined> {
    try {
      return (await this.call('GET', `/amphorae/${id}`)) as HostedAmphora;
    } catch (err) {
      if (isHostAbsent(err) || (err instanceof AmphoraHostError && err.status === 404)) return undefined;
      throw err;
    }
  }

  /** Stop the amphora's agent and HAProxies. Without a running host, starts none: nothing runs there. */
  async removeAmphora(id: string, stateDir: string): Promise<void> {
    if (!(await this.answers())) {
      // HAProxies outlive a crashed host; a host started for the removal finds and stops them.
      if (!(await this.hasRunningHaproxy(stateDir))) return;
      await this.ensureHost();
    }
    await this.call('DELETE', `/amphorae/${id}?stateDir=${encodeURIComponent(stateDir)}`);
  }

  async list(): Promise<HostedAmphora[]> {
    if (!(await this.answers())) return [];
    return (await this.call('GET', '/amphorae')) as HostedAmphora[];
  }

  /** Stop the host and every amphora in it, waiting (bounded) until its process is gone. */
  async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (!(await this.answers())) return;
    const pid = await this.hostPid();
    await this.call('POST', '/shutdown').catch(() => undefined);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (pid !== undefined && pidAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  }

  /** The host's pid, from its pid file. */
  async hostPid(): Promise<number | undefined> {
    try {
      const pid = Number((await readFile(join(this.dir, 'host.pid'), 'utf8')).trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Start the host unless it answers; concurrent callers share one start. */
  ensureHost(): Promise<void> {
    this.starting ??= this.startHost().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startHost(): Promise<void> {
    if (await this.answers()) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const logFile = await open(join(this.dir, 'host.log'), 'a', 0o600);
    try {
      const child = spawn(
        process.execPath,
        [...NODE_ARGS, CLI, 'amphora-host', '--dir', this.dir, '--socket', this.socketPath],
        { detached: true, stdio: ['ignore', logFile.fd, logFile.fd] },
      );
      child.unref();
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (!(await this.answers())) {
        if (child.exitCode !== null && !(await this.answers()))
          throw new Error(`the amphora host exited with code ${child.exitCode}; see ${join(this.dir, 'host.log')}`);
        if (Date.now() > deadline) throw new Error(`the amphora host did not answer within ${READY_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
    } finally {
      await logFile.close();
    }
  }

  private async answers(): Promise<boolean> {
    return this.call('GET', '/', undefined, 2_000).then(
      () => true,
      () => false,
    );
  }

  private async hasRunningHaproxy(stateDir: string): Promise<boolean> {
    try {
      for (const lb of await readdir(join(stateDir, 'lb'))) {
        const pid = Number((await readFile(join(stateDir, 'lb', lb, 'haproxy.pid'), 'utf8').catch(() => '')).trim());
        if (pid > 0 && pidAlive(pid)) return true;
      }
    } catch {
      /* no state folder: nothing runs */
    }
    return false;
  }

  private call(method: string, path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          timeout: timeoutMs,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed);
            else reject(new AmphoraHostError(status, parsed as HostError | undefined));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`amphora host timed out on ${method} ${path}`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
