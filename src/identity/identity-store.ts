import type { Db } from '../db/database.js';
import type { IdentityDomainRow, IdentityProjectRow, IdentityRoleRow, IdentityUserRow } from '../db/schema-identity.js';
import { toBool } from '../db/schema.js';
import { withImpliedRoleNames } from './implied-roles.js';

/** Reads of the identity tables shared by the token path, the admin API and the command line. */

export interface RoleRef {
  id: string;
  name: string;
}

export async function domainById(db: Db, id: string): Promise<IdentityDomainRow | undefined> {
  return db.kysely.selectFrom('identity_domain').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function domainByName(db: Db, name: string): Promise<IdentityDomainRow | undefined> {
  return db.kysely.selectFrom('identity_domain').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A domain named by id or by name (`{id}` / `{name}` in an auth request). */
export async function domainByRef(db: Db, ref: { id?: string; name?: string }): Promise<IdentityDomainRow | undefined> {
  if (ref.id !== undefined) return domainById(db, ref.id);
  if (ref.name !== undefined) return domainByName(db, ref.name);
  return undefined;
}

export async function projectById(db: Db, id: string): Promise<IdentityProjectRow | undefined> {
  return db.kysely.selectFrom('identity_project').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function projectByName(db: Db, domainId: string, name: string): Promise<IdentityProjectRow | undefined> {
  return db.kysely
    .selectFrom('identity_project')
    .selectAll()
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function userById(db: Db, id: string): Promise<IdentityUserRow | undefined> {
  return db.kysely.selectFrom('identity_user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function userByName(db: Db, domainId: string, name: string): Promise<IdentityUserRow | undefined> {
  return db.kysely
    .selectFrom('identity_user')
    .selectAll()
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function roleById(db: Db, id: string): Promise<IdentityRoleRow | undefined> {
  return db.kysely.selectFrom('identity_role').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function roleByName(db: Db, name: string): Promise<IdentityRoleRow | undefined> {
  return db.kysely.selectFrom('identity_role').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Roles assigned to the user on the project, as stored (no implications). */
export async function assignedRoles(db: Db, userId: string, projectId: string): Promise<RoleRef[]> {
  return db.kysely
    .selectFrom('identity_role_assignment as a')
    .innerJoin('identity_role as r', 'r.id', 'a.role_id')
    .select(['r.id', 'r.name'])
    .where('a.user_id', '=', userId)
    .where('a.project_id', '=', projectId)
    .orderBy('r.name')
    .execute();
}

/** The user's roles on the project now: the assigned ones plus those they imply (that exist as roles). */
export async function effectiveRoles(db: Db, userId: string, projectId: string): Promise<RoleRef[]> {
  const assigned = await assignedRoles(db, userId, projectId);
  return expandRoles(db, assigned);
}

/** `assigned` plus the stored roles they imply. */
export async function expandRoles(db: Db, assigned: RoleRef[]): Promise<RoleRef[]> {
  const missing = impliedNotAssigned(assigned);
  if (missing.length === 0) return assigned;
  const implied = await db.kysely
    .selectFrom('identity_role')
    .select(['id', 'name'])
    .where('name', 'in', missing)
    .execute();
  return expandRolesWith(assigned, new Map(implied.map((r) => [r.name, r.id])));
}

/** The same with the role ids already known by name (one read of the role table for many expansions). */
export function expandRolesWith(assigned: RoleRef[], roleIdByName: ReadonlyMap<string, string>): RoleRef[] {
  const implied = impliedNotAssigned(assigned)
    .filter((name) => roleIdByName.has(name))
    .sort()
    .map((name) => ({ id: roleIdByName.get(name)!, name }));
  return implied.length === 0 ? assigned : [...assigned, ...implied];
}

/** Role names the assigned roles imply but that are not assigned themselves. */
function impliedNotAssigned(assigned: RoleRef[]): string[] {
  return withImpliedRoleNames(assigned.map((r) => r.name)).filter((n) => !assigned.some((r) => r.name === n));
}

/** Enabled projects the user holds at least one role on (what `GET /v3/auth/projects` lists). */
export async function projectsOfUser(db: Db, userId: string): Promise<IdentityProjectRow[]> {
  const rows = await db.kysely
    .selectFrom('identity_project as p')
    .selectAll('p')
    .where('p.id', 'in', (qb) =>
      qb.selectFrom('identity_role_assignment').select('project_id').where('user_id', '=', userId),
    )
    .orderBy('p.name')
    .execute();
  return rows;
}

export const isEnabled = (row: { enabled: IdentityUserRow['enabled'] }) => toBool(row.enabled);
