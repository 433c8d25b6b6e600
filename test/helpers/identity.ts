import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type TaviaConfig } from '../../src/common/config.js';
import { createLogger } from '../../src/common/logger.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/db/database.js';
import { buildIdentityApi, type IdentityApiOptions } from '../../src/identity/api/identity-app.js';
import { bootstrapIdentity } from '../../src/identity/bootstrap.js';
import { freshDatabaseUrl } from './service.js';

/** A token issued by an identity service: the secret and the token body. */
export interface IssuedToken {
  token: string;
  body: any;
}

/**
 * Issue a project-scoped token with a password (user and project by name in the default domain), as
 * `openstack token issue` would. Throws unless the answer is 201.
 */
export async function issueToken(
  identityUrl: string,
  user: string,
  password: string,
  project: string,
): Promise<IssuedToken> {
  const res = await fetch(`${identityUrl.replace(/\/+$/, '')}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`token issue failed: ${res.status} ${JSON.stringify(body)}`);
  return { token: res.headers.get('x-subject-token')!, body };
}

/** Read `export NAME=value` lines of an openrc file (values as bash would see them, for simple files). */
export function openrcVariables(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) vars[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  return vars;
}

/** An identity service on a free loopback port over a fresh, bootstrapped database. */
export class TestIdentity {
  private constructor(
    readonly app: FastifyInstance,
    readonly db: Db,
    readonly config: TaviaConfig,
    readonly url: string,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(
    opts: { overrides?: Record<string, unknown>; api?: Partial<IdentityApiOptions>; bootstrap?: boolean } = {},
  ): Promise<TestIdentity> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tavia-identity-'));
    const database = await freshDatabaseUrl();
    const config = loadConfig({
      env: {},
      overrides: { dataDir, database: { url: database.url }, identity: { port: 0 }, ...opts.overrides },
    });
    const db = openDatabase(config.database.url, config.dataDir);
    await migrateToLatest(db);
    const log = createLogger(process.env.TAVIA_TEST_LOG ?? 'silent');
    let url = '';
    const app = await buildIdentityApi({
      db,
      config,
      log,
      endpoints: () => ({ identity: url, loadBalancer: 'http://127.0.0.1:9876', network: 'http://127.0.0.1:9696' }),
      ...opts.api,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    if (opts.bootstrap !== false) {
      await bootstrapIdentity(db, { dataDir, authUrl: `${url}/v3`, region: config.identity.region, log });
    }
    return new TestIdentity(app, db, config, url, async () => {
      await app.close();
      await db.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  /** The generated password of a bootstrap user, from its openrc file. */
  async password(user: 'admin' | 'demo'): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    return openrcVariables(await readFile(join(this.dataDir, `${user}-openrc`), 'utf8')).OS_PASSWORD!;
  }

  async token(user: 'admin' | 'demo'): Promise<string> {
    return (await issueToken(this.url, user, await this.password(user), user)).token;
  }

  /** A request with JSON in and out; `token` goes into X-Auth-Token. */
  async request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers['x-auth-token'] = opts.token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, body, headers: res.headers };
  }

  async stop(): Promise<void> {
    await this.cleanup();
  }
}
