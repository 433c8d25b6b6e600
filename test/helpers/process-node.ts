import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../../src/db/database.js';
import { freshDatabaseUrl, type ApiResponse } from './service.js';

/**
 * `tavia up` as a real child process, so a test can kill it with SIGKILL in the middle of a flow and
 * start it again on the same data: the only honest way to show the controller resumes after a crash.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'src/cli/main.ts');
/** Kept so the child's last words can be shown when a test fails. */
const OUTPUT_LIMIT = 64 * 1024;

const live = new Set<ProcessNode>();
// A test runner that dies without its after() hooks must not leave nodes behind.
process.once('exit', () => {
  for (const node of live) node.kill('SIGKILL');
});

/** A data directory and a fresh database (SQLite file, or PostgreSQL when TAVIA_TEST_DB=postgres) that several node lives share. */
export class NodeSandbox {
  private constructor(
    readonly dataDir: string,
    readonly databaseUrl: string,
    private readonly drop: () => Promise<void>,
  ) {}

  static async create(): Promise<NodeSandbox> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tavia-proc-'));
    const database = await freshDatabaseUrl();
    return new NodeSandbox(dataDir, database.url, database.drop);
  }

  /** The same database the nodes use, opened from the test process. */
  openDb(): Db {
    return openDatabase(this.databaseUrl, this.dataDir);
  }

  /** Write a YAML configuration file into the data directory and return its path. */
  writeConfig(name: string, yaml: string): string {
    const path = join(this.dataDir, name);
    writeFileSync(path, yaml);
    return path;
  }

  async destroy(): Promise<void> {
    await this.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface ProcessNodeOptions {
  nodeId: string;
  /** TAVIA_WORKER_STEP_DELAY_MS: the worker sleeps this long before every flow step. */
  stepDelayMs?: number;
  /** A YAML file passed with -c. */
  configPath?: string;
  /** How long to wait for GET / to answer. */
  readyTimeoutMs?: number;
  logLevel?: string;
  /** Run with the configured (real) drivers instead of `--noop`. */
  realDrivers?: boolean;
}

/** Ask the kernel for a port nobody listens on. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One life of `tavia up` in a child process. */
export class ProcessNode {
  private output = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly nodeId: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exited = true;
        live.delete(this);
        done({ code, signal });
      }),
    );
  }

  /** Start `tavia up` on a free port over the sandbox's data and wait until its API answers. */
  static async start(sandbox: NodeSandbox, options: ProcessNodeOptions): Promise<ProcessNode> {
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && !key.startsWith('TAVIA_')) env[key] = value;
    Object.assign(env, {
      TAVIA_NODE_ID: options.nodeId,
      TAVIA_DATABASE_URL: sandbox.databaseUrl,
      TAVIA_WORKER_STEP_DELAY_MS: String(options.stepDelayMs ?? 0),
      TAVIA_LOG_LEVEL: options.logLevel ?? 'info',
      TAVIA_HEALTH_PORT: '0',
      TAVIA_AUTH_STRATEGY: 'noauth',
      TAVIA_IDENTITY_PORT: '0',
      TAVIA_NETWORK_API_PORT: '0',
    });
    const args = [
      '--import',
      'tsx',
      CLI,
      'up',
      ...(options.realDrivers ? [] : ['--noop']),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      sandbox.dataDir,
    ];
    if (options.configPath) args.push('-c', options.configPath);
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const node = new ProcessNode(child, `http://127.0.0.1:${port}`, options.nodeId);
    live.add(node);
    try {
      await node.waitUntilReady(options.readyTimeoutMs ?? 30000);
    } catch (err) {
      node.kill('SIGKILL');
      await node.waitForExit(5000).catch(() => {});
      throw err;
    }
    return node;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** What the child printed (the tail), for failure messages. */
  logs(): string {
    return this.output;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`tavia up exited before answering:\n${this.output}`);
      try {
        const res = await fetch(this.url + '/', { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    throw new Error(`tavia up did not answer within ${timeoutMs} ms:\n${this.output}`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Resolve with how the process ended; reject if it has not ended within `timeoutMs`. */
  async waitForExit(timeoutMs = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`node ${this.nodeId} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop the node: SIGTERM (a clean stop) or SIGKILL (a crash), and wait for it to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10000): Promise<void> {
    if (this.exited) return;
    this.kill(signal);
    try {
      await this.waitForExit(timeoutMs);
    } catch {
      this.kill('SIGKILL');
      await this.waitForExit(5000);
    }
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const res = await fetch(this.url + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-project-id': 'project-a', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(path: string) => this.request<T>('GET', path);
  post = <T = any>(path: string, body: unknown) => this.request<T>('POST', path, body);
  put = <T = any>(path: string, body: unknown) => this.request<T>('PUT', path, body);
  del = <T = any>(path: string) => this.request<T>('DELETE', path);
}

/** Kill every child node still alive (for after() hooks) and wait for each to be gone. */
export async function killAllProcessNodes(): Promise<void> {
  await Promise.all([...live].map((node) => node.stop('SIGKILL', 5000)));
}
