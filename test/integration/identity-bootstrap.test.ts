import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/db/database.js';
import { BOOTSTRAP_ROLES, bootstrapIdentity } from '../../src/identity/bootstrap.js';
import { verifyPassword } from '../../src/identity/password-hash.js';
import { freshDatabaseUrl } from '../helpers/service.js';

const log = createLogger('silent');
const execFileAsync = promisify(execFile);

/** The variables a bash that sourced the file sees. */
function sourced(file: string): Record<string, string> {
  const out = execFileSync('bash', ['-c', 'set -e; source "$1"; env -0', 'bash', file], { env: {} }).toString();
  return Object.fromEntries(
    out
      .split('\0')
      .filter((l) => l.startsWith('OS_'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** `bootstrapIdentity` in a process of its own, as `tavia up` would run it. */
async function bootstrapInChild(url: string, dataDir: string): Promise<void> {
  const script = `
    const { openDatabase, migrateToLatest } = await import(${JSON.stringify(join(REPO, 'src/db/database.ts'))});
    const { bootstrapIdentity } = await import(${JSON.stringify(join(REPO, 'src/identity/bootstrap.ts'))});
    const { createLogger } = await import(${JSON.stringify(join(REPO, 'src/common/logger.ts'))});
    const db = openDatabase(process.env.DB_URL, process.env.DATA_DIR);
    await migrateToLatest(db);
    await bootstrapIdentity(db, { dataDir: process.env.DATA_DIR, authUrl: 'http://127.0.0.1:5000/v3', region: 'RegionOne', log: createLogger('silent') });
    await db.close();
  `;
  await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    env: { ...process.env, DB_URL: url, DATA_DIR: dataDir },
    timeout: 30_000,
  });
}

describe('identity: bootstrap', () => {
  let dataDir: string;
  let database: { url: string; drop: () => Promise<void> };
  let first: Db;
  let second: Db;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tavia-bootstrap-'));
    database = await freshDatabaseUrl();
    first = openDatabase(database.url, dataDir);
    await migrateToLatest(first);
    // Another connection (a pool on PostgreSQL) to the same database, as a second process has.
    second = openDatabase(database.url, dataDir);
  });
  after(async () => {
    await first.close();
    await second.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const opts = (authUrl: string) => ({ dataDir, authUrl, region: 'RegionOne', log });

  it('run by two processes at once, creates one of everything and openrc files that match the stored users', async () => {
    // Two real processes (two SQLite connections in one thread would wait on each other's lock forever).
    await Promise.all([bootstrapInChild(database.url, dataDir), bootstrapInChild(database.url, dataDir)]);
    const users = await first.kysely.selectFrom('identity_user').selectAll().orderBy('name').execute();
    assert.deepEqual(
      users.map((u) => u.name),
      ['admin', 'demo'],
    );
    const roles = await first.kysely.selectFrom('identity_role').select('name').execute();
    assert.deepEqual(roles.map((r) => r.name).sort(), [...BOOTSTRAP_ROLES].sort());
    const projects = await first.kysely.selectFrom('identity_project').select('name').orderBy('name').execute();
    assert.deepEqual(
      projects.map((p) => p.name),
      ['admin', 'demo', 'service'],
    );
    const domains = await first.kysely.selectFrom('identity_domain').selectAll().execute();
    assert.deepEqual(
      domains.map((d) => [d.id, d.name]),
      [['default', 'Default']],
    );
    const assignments = await first.kysely
      .selectFrom('identity_role_assignment as a')
      .innerJoin('identity_user as u', 'u.id', 'a.user_id')
      .innerJoin('identity_project as p', 'p.id', 'a.project_id')
      .innerJoin('identity_role as r', 'r.id', 'a.role_id')
      .select(['u.name as user', 'p.name as project', 'r.name as role'])
      .orderBy('u.name')
      .orderBy('r.name')
      .execute();
    assert.deepEqual(assignments, [
      { user: 'admin', project: 'admin', role: 'admin' },
      { user: 'demo', project: 'demo', role: 'load-balancer_member' },
      { user: 'demo', project: 'demo', role: 'member' },
    ]);

    for (const user of users) {
      const file = join(dataDir, `${user.name}-openrc`);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const vars = sourced(file);
      assert.deepEqual(
        { ...vars, OS_PASSWORD: '<generated>' },
        {
          OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
          OS_USERNAME: user.name,
          OS_PASSWORD: '<generated>',
          OS_PROJECT_NAME: user.name,
          OS_TENANT_NAME: user.name,
          OS_USER_DOMAIN_ID: 'default',
          OS_PROJECT_DOMAIN_ID: 'default',
          OS_REGION_NAME: 'RegionOne',
          OS_IDENTITY_API_VERSION: '3',
          OS_AUTH_TYPE: 'password',
          OS_INTERFACE: 'public',
        },
      );
      assert.ok(vars.OS_PASSWORD!.length >= 20);
      assert.equal(
        await verifyPassword(vars.OS_PASSWORD!, user.password_hash!),
        true,
        `${user.name}'s file holds its password`,
      );
    }
    assert.notEqual(
      sourced(join(dataDir, 'admin-openrc')).OS_PASSWORD,
      sourced(join(dataDir, 'demo-openrc')).OS_PASSWORD,
    );
  });

  it('run again, changes nothing but a moved auth URL, line for line', async () => {
    const before = await first.kysely.selectFrom('identity_user').selectAll().orderBy('name').execute();
    const adminFile = join(dataDir, 'admin-openrc');
    const text = readFileSync(adminFile, 'utf8');
    await bootstrapIdentity(first, opts('http://127.0.0.1:5000/v3'));
    assert.equal(readFileSync(adminFile, 'utf8'), text);
    await bootstrapIdentity(second, opts('http://127.0.0.1:5123/v3'));
    const moved = readFileSync(adminFile, 'utf8');
    const diff = text
      .split('\n')
      .map((line, i) => [line, moved.split('\n')[i]])
      .filter(([a, b]) => a !== b);
    assert.deepEqual(diff, [
      ['export OS_AUTH_URL=http://127.0.0.1:5000/v3', 'export OS_AUTH_URL=http://127.0.0.1:5123/v3'],
    ]);
    assert.equal(statSync(adminFile).mode & 0o777, 0o600);
    const after = await first.kysely.selectFrom('identity_user').selectAll().orderBy('name').execute();
    assert.deepEqual(after, before);
  });

  it('never overwrites a password it cannot know: a missing file stays missing', async () => {
    rmSync(join(dataDir, 'demo-openrc'));
    writeFileSync(join(dataDir, 'unrelated'), 'x');
    await bootstrapIdentity(first, opts('http://127.0.0.1:5000/v3'));
    assert.throws(() => statSync(join(dataDir, 'demo-openrc')), /ENOENT/);
    assert.equal((await first.kysely.selectFrom('identity_user').selectAll().execute()).length, 2);
  });
});
