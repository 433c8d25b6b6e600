import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type TaviaConfig } from '../../src/common/config.js';
import { createLogger } from '../../src/common/logger.js';
import { countOpenJobs } from '../../src/controller/jobs/job-queue.js';
import { startNode, type NodeParts, type TaviaNode } from '../../src/service/node.js';

/** The database the API suite runs against: TAVIA_TEST_DB=postgres, or SQLite by default. */
export const TEST_DIALECT = process.env.TAVIA_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
const PG_ADMIN_URL = process.env.TAVIA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database URL for one test node (a new PostgreSQL database, or a file in dataDir). */
export async function freshDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (TEST_DIALECT === 'sqlite') return { url: 'sqlite:tavia.db', drop: async () => {} };
  const name = `tavia_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** `base` with `overrides` on top, section by section: `{ api: { authStrategy } }` keeps the free port. */
function mergeSections(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const under = merged[key];
    const isSection = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    merged[key] =
      isSection(under) && isSection(value) && key !== 'drivers'
        ? { ...(under as object), ...(value as object) }
        : value;
  }
  return merged;
}

/** A started service on a free port with its own data directory and database, and a small HTTP client. */
export class TestService {
  private constructor(
    readonly node: TaviaNode,
    readonly config: TaviaConfig,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(overrides: Record<string, unknown> = {}, parts: NodeParts = {}): Promise<TestService> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tavia-test-'));
    const database = await freshDatabaseUrl();
    const config = loadConfig({
      env: {},
      overrides: mergeSections(
        {
          dataDir,
          database: { url: database.url },
          api: { port: 0, authStrategy: 'noauth' },
          identity: { port: 0 },
          networkApi: { port: 0 },
          worker: { pollIntervalMs: 100 },
          // Suites run side by side: every node's health manager on a port of its own.
          health: { port: 0 },
          // The API suites run Octavia's functional-test mode; traffic tests pass real drivers.
          drivers: { compute: 'noop', network: 'noop', amphora: 'noop' },
        },
        overrides,
      ),
    });
    const node = await startNode(
      config,
      { api: true, worker: true, healthManager: true },
      createLogger(process.env.TAVIA_TEST_LOG ?? 'silent'),
      parts,
    );
    return new TestService(node, config, async () => {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  get url(): string {
    return this.node.url!;
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
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
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

  /** Wait until the controller has no open job (every PENDING_* settled). */
  async settle(timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await countOpenJobs(this.node.db)) > 0) {
      if (Date.now() > deadline) throw new Error('jobs did not finish in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Run `fn` with the worker stopped, so the PENDING_* states it leaves can be seen; then let it all settle. */
  async whilePaused(fn: () => Promise<void>): Promise<void> {
    await this.node.worker!.stop();
    try {
      await fn();
    } finally {
      await this.node.worker!.start();
      await this.settle();
    }
  }

  /** Create a load balancer and wait for it to be ACTIVE. */
  async createLoadBalancer(extra: Record<string, unknown> = {}): Promise<any> {
    const res = await this.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: '11111111-2222-3333-4444-555555555555', ...extra },
    });
    if (res.status !== 201) throw new Error(`load balancer create failed: ${res.status} ${JSON.stringify(res.body)}`);
    await this.settle();
    return res.body.loadbalancer;
  }

  async stop(): Promise<void> {
    await this.node.stop();
    await this.cleanup();
  }
}
