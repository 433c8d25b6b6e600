import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from '../common/logger.js';
import type { Db } from '../db/database.js';
import { projectByName, roleByName, userByName } from './identity-store.js';
import { newKeystoneId } from './keystone-format.js';
import { openrcPath, openrcText, updateOpenrcAuthUrl, writePrivateFile } from './openrc.js';
import { hashPassword } from './password-hash.js';

/** Roles every deployment has: Keystone's defaults, Octavia's policy roles, and `service`. */
export const BOOTSTRAP_ROLES = [
  'admin',
  'member',
  'reader',
  'load-balancer_observer',
  'load-balancer_global_observer',
  'load-balancer_member',
  'load-balancer_quota_admin',
  'load-balancer_admin',
  'service',
];

const BOOTSTRAP_PROJECTS = ['admin', 'demo', 'service'];

/** The users devstack creates, their project and the roles they get there. */
const BOOTSTRAP_USERS = [
  { name: 'admin', project: 'admin', roles: ['admin'] },
  { name: 'demo', project: 'demo', roles: ['member', 'load-balancer_member'] },
];

/** Any constant: the PostgreSQL advisory lock that lets one process at a time bootstrap. */
const BOOTSTRAP_LOCK = 0x7461_7669; // "tavi"

export interface BootstrapOptions {
  dataDir: string;
  /** OS_AUTH_URL of the openrc files, e.g. `http://127.0.0.1:5000/v3`. */
  authUrl: string;
  region: string;
  log: Logger;
}

/** A password for a generated user: 144 random bits, shell-safe characters. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

async function newPassword(): Promise<{ password: string; hash: string }> {
  const password = generatePassword();
  return { password, hash: await hashPassword(password) };
}

/**
 * Create what a fresh deployment needs (domain `default`, projects admin/demo/service, the roles, users
 * admin and demo with generated passwords) and write `admin-openrc` / `demo-openrc` into the data dir.
 * Idempotent; processes starting together serialise on a lock and only the first creates anything.
 * Passwords are written into the openrc files only, while the lock is held, before the users commit:
 * a process that finds the users made also finds their files. Later runs only follow a changed auth URL.
 */
export async function bootstrapIdentity(db: Db, opts: BootstrapOptions): Promise<void> {
  const created: string[] = [];
  // Hash outside the lock (the slow part), and only when a user may be missing.
  const fresh = new Map<string, { password: string; hash: string }>();
  for (const spec of BOOTSTRAP_USERS) {
    if (await userByName(db, 'default', spec.name)) continue;
    const password = generatePassword();
    fresh.set(spec.name, { password, hash: await hashPassword(password) });
  }
  await db.kysely.transaction().execute(async (trx) => {
    // SQLite: the transaction itself is BEGIN IMMEDIATE, one writer at a time across processes.
    if (db.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
    const tx: Db = { kysely: trx, dialect: db.dialect, close: async () => {} };
    const stamp = new Date().toISOString();

    await trx
      .insertInto('identity_domain')
      .values({ id: 'default', name: 'Default', description: 'The default domain', enabled: true, created_at: stamp })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const roleIds = new Map<string, string>();
    for (const name of BOOTSTRAP_ROLES) {
      let role = await roleByName(tx, name);
      if (!role) {
        role = { id: newKeystoneId(), name, description: null, created_at: stamp };
        await trx.insertInto('identity_role').values(role).execute();
      }
      roleIds.set(name, role.id);
    }
    const projectIds = new Map<string, string>();
    for (const name of BOOTSTRAP_PROJECTS) {
      let project = await projectByName(tx, 'default', name);
      if (!project) {
        project = {
          id: newKeystoneId(),
          name,
          domain_id: 'default',
          description: `Bootstrap project ${name}`,
          enabled: true,
          created_at: stamp,
        };
        await trx.insertInto('identity_project').values(project).execute();
      }
      projectIds.set(name, project.id);
    }
    for (const spec of BOOTSTRAP_USERS) {
      if (await userByName(tx, 'default', spec.name)) continue;
      const { password, hash } = fresh.get(spec.name) ?? (await newPassword());
      const userId = newKeystoneId();
      await trx
        .insertInto('identity_user')
        .values({
          id: userId,
          name: spec.name,
          domain_id: 'default',
          password_hash: hash,
          enabled: true,
          default_project_id: projectIds.get(spec.project)!,
          description: null,
          email: null,
          created_at: stamp,
        })
        .execute();
      for (const role of spec.roles) {
        await trx
          .insertInto('identity_role_assignment')
          .values({ user_id: userId, project_id: projectIds.get(spec.project)!, role_id: roleIds.get(role)! })
          .execute();
      }
      const text = openrcText({
        authUrl: opts.authUrl,
        userName: spec.name,
        password,
        projectName: spec.project,
        region: opts.region,
      });
      await writePrivateFile(openrcPath(opts.dataDir, spec.name), text);
      created.push(spec.name);
    }
  });
  for (const spec of BOOTSTRAP_USERS) {
    if (created.includes(spec.name)) {
      opts.log.info({ user: spec.name, file: openrcPath(opts.dataDir, spec.name) }, 'identity user created');
      continue;
    }
    const exists = await updateOpenrcAuthUrl(openrcPath(opts.dataDir, spec.name), opts.authUrl);
    if (!exists) {
      opts.log.warn(
        { user: spec.name, file: openrcPath(opts.dataDir, spec.name) },
        'the user exists but its openrc file does not (another data dir made it?); set a new password with `tavia user set`',
      );
    }
  }
}
