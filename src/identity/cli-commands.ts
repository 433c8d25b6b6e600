import type { Command } from 'commander';
import type { TaviaConfig } from '../common/config.js';
import type { Db } from '../db/database.js';
import type { IdentityProjectRow, IdentityRoleRow, IdentityUserRow } from '../db/schema-identity.js';
import { toBool } from '../db/schema.js';
import { formatList, formatOne, parseFormat } from './cli-output.js';
import {
  createProject,
  createRole,
  createUser,
  deleteProject,
  deleteUser,
  grantRole,
  listAssignments,
  revokeRole,
  updateUser,
} from './identity-admin.js';
import {
  domainByRef,
  projectById,
  projectByName,
  roleById,
  roleByName,
  userById,
  userByName,
} from './identity-store.js';

/** `tavia user|project|role ...`: identity administration straight on the database. */

interface DbOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  format: string;
  domain: string;
}

type LoadConfig = (opts: { config?: string; dataDir?: string; databaseUrl?: string }) => TaviaConfig;
type Out = (text: string) => void;

/** The options every identity command takes. */
function withDbOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML configuration file (or TAVIA_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default ./data, or TAVIA_DATA_DIR)')
    .option('--database-url <url>', 'database URL (default sqlite:tavia.db in the data dir)')
    .option('--domain <domain>', 'domain of the named users and projects (id or name)', 'default')
    .option('-f, --format <format>', 'output format: table, value or json', 'table');
}

async function withDb<T>(
  loadConfig: LoadConfig,
  opts: DbOptions,
  fn: (db: Db, domainId: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ config: opts.config, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  // Loaded here, not at the top: `tavia` starts every command, and most never open a database.
  const { migrateToLatest, openDatabase } = await import('../db/database.js');
  const db = openDatabase(config.database.url, config.dataDir);
  try {
    await migrateToLatest(db);
    const domain = (await domainByRef(db, { id: opts.domain })) ?? (await domainByRef(db, { name: opts.domain }));
    if (!domain) throw new Error(`no domain ${opts.domain} (has the service been started once?)`);
    return await fn(db, domain.id);
  } finally {
    await db.close();
  }
}

/** A user, project or role named by name (in the domain) or by id. */
async function findUser(db: Db, domainId: string, ref: string): Promise<IdentityUserRow> {
  const user = (await userByName(db, domainId, ref)) ?? (await userById(db, ref));
  if (!user) throw new Error(`no user ${ref}`);
  return user;
}
async function findProject(db: Db, domainId: string, ref: string): Promise<IdentityProjectRow> {
  const project = (await projectByName(db, domainId, ref)) ?? (await projectById(db, ref));
  if (!project) throw new Error(`no project ${ref}`);
  return project;
}
async function findRole(db: Db, ref: string): Promise<IdentityRoleRow> {
  const role = (await roleByName(db, ref)) ?? (await roleById(db, ref));
  if (!role) throw new Error(`no role ${ref}`);
  return role;
}

const userRecord = (u: IdentityUserRow) => ({
  id: u.id,
  name: u.name,
  domain_id: u.domain_id,
  enabled: toBool(u.enabled),
  default_project_id: u.default_project_id,
  email: u.email,
  description: u.description,
});
const projectRecord = (p: IdentityProjectRow) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id,
  enabled: toBool(p.enabled),
  description: p.description,
});

function userCommands(program: Command, loadConfig: LoadConfig, out: Out): void {
  const user = program.command('user').description('manage identity users');
  withDbOptions(user.command('create <name>').description('create a user'))
    .requiredOption('--password <password>', 'the password')
    .option('--project <project>', 'default project (and where --role is given)')
    .option(
      '--role <role>',
      'a role on --project (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--email <email>', 'e-mail address')
    .option('--disable', 'create the user disabled')
    .action(
      async (
        name: string,
        opts: DbOptions & { password: string; project?: string; role: string[]; email?: string; disable?: boolean },
      ) => {
        if (opts.role.length > 0 && !opts.project) throw new Error('--role needs --project');
        await withDb(loadConfig, opts, async (db, domainId) => {
          const project = opts.project ? await findProject(db, domainId, opts.project) : undefined;
          const roles = await Promise.all(opts.role.map((r) => findRole(db, r)));
          const row = await createUser(db, {
            name,
            domainId,
            password: opts.password,
            defaultProjectId: project?.id ?? null,
            email: opts.email ?? null,
            enabled: !opts.disable,
          });
          for (const role of roles) await grantRole(db, row.id, project!.id, role.id);
          out(formatOne(parseFormat(opts.format), userRecord(row)));
        });
      },
    );
  withDbOptions(user.command('list').description('list users')).action(async (opts: DbOptions) => {
    await withDb(loadConfig, opts, async (db) => {
      const rows = await db.kysely.selectFrom('identity_user').selectAll().orderBy('name').execute();
      out(formatList(parseFormat(opts.format), ['id', 'name', 'domain_id', 'enabled'], rows.map(userRecord)));
    });
  });
  withDbOptions(user.command('show <user>').description('show a user')).action(async (ref: string, opts: DbOptions) => {
    await withDb(loadConfig, opts, async (db, domainId) =>
      out(formatOne(parseFormat(opts.format), userRecord(await findUser(db, domainId, ref)))),
    );
  });
  withDbOptions(user.command('set <user>').description('change a user (their tokens end when the password changes)'))
    .option('--password <password>', 'a new password')
    .option('--enable', 'enable the user')
    .option('--disable', 'disable the user')
    .action(async (ref: string, opts: DbOptions & { password?: string; enable?: boolean; disable?: boolean }) => {
      if (opts.enable && opts.disable) throw new Error('--enable and --disable exclude each other');
      await withDb(loadConfig, opts, async (db, domainId) => {
        const found = await findUser(db, domainId, ref);
        const enabled = opts.enable ? true : opts.disable ? false : undefined;
        await updateUser(db, found.id, { password: opts.password, enabled });
      });
    });
  withDbOptions(user.command('delete <user>').description('delete a user and their tokens')).action(
    async (ref: string, opts: DbOptions) => {
      await withDb(loadConfig, opts, async (db, domainId) => deleteUser(db, (await findUser(db, domainId, ref)).id));
    },
  );
}

function projectCommands(program: Command, loadConfig: LoadConfig, out: Out): void {
  const project = program.command('project').description('manage identity projects');
  withDbOptions(project.command('create <name>').description('create a project'))
    .option('--description <text>', 'description', '')
    .action(async (name: string, opts: DbOptions & { description: string }) => {
      await withDb(loadConfig, opts, async (db, domainId) => {
        const row = await createProject(db, { name, domainId, description: opts.description });
        out(formatOne(parseFormat(opts.format), projectRecord(row)));
      });
    });
  withDbOptions(project.command('list').description('list projects')).action(async (opts: DbOptions) => {
    await withDb(loadConfig, opts, async (db) => {
      const rows = await db.kysely.selectFrom('identity_project').selectAll().orderBy('name').execute();
      out(formatList(parseFormat(opts.format), ['id', 'name', 'domain_id', 'enabled'], rows.map(projectRecord)));
    });
  });
  withDbOptions(project.command('delete <project>').description('delete a project, its assignments and tokens')).action(
    async (ref: string, opts: DbOptions) => {
      await withDb(loadConfig, opts, async (db, domainId) =>
        deleteProject(db, (await findProject(db, domainId, ref)).id),
      );
    },
  );
}

function roleCommands(program: Command, loadConfig: LoadConfig, out: Out): void {
  const role = program.command('role').description('manage roles and role assignments');
  withDbOptions(role.command('list').description('list roles')).action(async (opts: DbOptions) => {
    await withDb(loadConfig, opts, async (db) => {
      const rows = await db.kysely.selectFrom('identity_role').select(['id', 'name']).orderBy('name').execute();
      out(formatList(parseFormat(opts.format), ['id', 'name'], rows));
    });
  });
  withDbOptions(role.command('create <name>').description('create a role')).action(
    async (name: string, opts: DbOptions) => {
      await withDb(loadConfig, opts, async (db) => {
        const row = await createRole(db, { name });
        out(formatOne(parseFormat(opts.format), { id: row.id, name: row.name }));
      });
    },
  );
  const grant = (verb: 'add' | 'remove') =>
    withDbOptions(
      role.command(`${verb} <role>`).description(`${verb === 'add' ? 'give' : 'take away'} a role on a project`),
    )
      .requiredOption('--user <user>', 'user name or id')
      .requiredOption('--project <project>', 'project name or id')
      .action(async (ref: string, opts: DbOptions & { user: string; project: string }) => {
        await withDb(loadConfig, opts, async (db, domainId) => {
          const [roleRow, userRow, projectRow] = [
            await findRole(db, ref),
            await findUser(db, domainId, opts.user),
            await findProject(db, domainId, opts.project),
          ];
          if (verb === 'add') await grantRole(db, userRow.id, projectRow.id, roleRow.id);
          else await revokeRole(db, userRow.id, projectRow.id, roleRow.id);
        });
      });
  grant('add');
  grant('remove');
  const assignment = role.command('assignment').description('role assignments');
  withDbOptions(assignment.command('list').description('list role assignments'))
    .option('--user <user>', 'only this user')
    .option('--project <project>', 'only this project')
    .action(async (opts: DbOptions & { user?: string; project?: string }) => {
      await withDb(loadConfig, opts, async (db, domainId) => {
        const userId = opts.user ? (await findUser(db, domainId, opts.user)).id : undefined;
        const projectId = opts.project ? (await findProject(db, domainId, opts.project)).id : undefined;
        const rows = await listAssignments(db, { userId, projectId });
        const records = rows.map((a) => ({ role: a.roleName, user: a.userName, project: a.projectName }));
        out(formatList(parseFormat(opts.format), ['role', 'user', 'project'], records));
      });
    });
}

/**
 * Register `tavia user|project|role ...` on `program`. They work on the database directly (no running
 * service needed); errors reject the action with a plain message. `out` receives the printed text.
 */
export function registerIdentityCommands(
  program: Command,
  loadConfig: LoadConfig,
  out: Out = (text) => void process.stdout.write(text),
): void {
  userCommands(program, loadConfig, out);
  projectCommands(program, loadConfig, out);
  roleCommands(program, loadConfig, out);
}
