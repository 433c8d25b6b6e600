import type { Db } from '../db/database.js';
import type { IdentityProjectRow, IdentityRoleRow, IdentityUserRow } from '../db/schema-identity.js';
import { isUniqueViolation } from './api/entity-body.js';
import { domainById, projectById, roleById, userById } from './identity-store.js';
import { badRequest, conflict, notFound } from './keystone-errors.js';
import { newKeystoneId } from './keystone-format.js';
import { hashPassword } from './password-hash.js';
import { noteRevocation, revokeUserTokens } from './token-store.js';

/**
 * Changes to projects, users, roles and role assignments: what the admin API and the `tavia` commands
 * both do. Failures are KeystoneErrors (404 for a missing reference, 409 for a taken name).
 */

const now = () => new Date().toISOString();

async function requireDomain(db: Db, id: string): Promise<void> {
  if (!(await domainById(db, id))) throw notFound('domain', id);
}

export interface ProjectSpec {
  name: string;
  domainId?: string;
  description?: string;
  enabled?: boolean;
}

export async function createProject(db: Db, spec: ProjectSpec): Promise<IdentityProjectRow> {
  const domainId = spec.domainId ?? 'default';
  await requireDomain(db, domainId);
  const row: IdentityProjectRow = {
    id: newKeystoneId(),
    name: spec.name,
    domain_id: domainId,
    description: spec.description ?? '',
    enabled: spec.enabled ?? true,
    created_at: now(),
  };
  try {
    await db.kysely.insertInto('identity_project').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`project - a project named ${spec.name} exists in domain ${domainId}.`);
    throw err;
  }
  return row;
}

export async function updateProject(
  db: Db,
  id: string,
  changes: { name?: string; description?: string; enabled?: boolean },
): Promise<IdentityProjectRow> {
  const project = await projectById(db, id);
  if (!project) throw notFound('project', id);
  const set: Partial<IdentityProjectRow> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.enabled !== undefined) set.enabled = changes.enabled;
  if (Object.keys(set).length > 0) {
    try {
      await db.kysely.updateTable('identity_project').set(set).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`project - a project named ${changes.name} exists in its domain.`);
      throw err;
    }
    if (changes.enabled === false) noteRevocation();
  }
  return (await projectById(db, id))!;
}

/** Delete a project; its role assignments and the tokens scoped to it go with it. */
export async function deleteProject(db: Db, id: string): Promise<void> {
  const result = await db.kysely.deleteFrom('identity_project').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound('project', id);
  noteRevocation();
}

export interface UserSpec {
  name: string;
  domainId?: string;
  /** null or absent: the user cannot authenticate with a password. */
  password?: string | null;
  enabled?: boolean;
  defaultProjectId?: string | null;
  description?: string | null;
  email?: string | null;
}

async function checkDefaultProject(db: Db, id: string | null | undefined): Promise<void> {
  if (id && !(await projectById(db, id))) {
    throw badRequest(`Invalid input for field 'default_project_id': project ${id} does not exist.`);
  }
}

export async function createUser(db: Db, spec: UserSpec): Promise<IdentityUserRow> {
  const domainId = spec.domainId ?? 'default';
  await requireDomain(db, domainId);
  await checkDefaultProject(db, spec.defaultProjectId);
  const row: IdentityUserRow = {
    id: newKeystoneId(),
    name: spec.name,
    domain_id: domainId,
    password_hash: spec.password ? await hashPassword(spec.password) : null,
    enabled: spec.enabled ?? true,
    default_project_id: spec.defaultProjectId ?? null,
    description: spec.description ?? null,
    email: spec.email ?? null,
    created_at: now(),
  };
  try {
    await db.kysely.insertInto('identity_user').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`user - a user named ${spec.name} exists in domain ${domainId}.`);
    throw err;
  }
  return row;
}

export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<Omit<UserSpec, 'domainId'>>,
): Promise<IdentityUserRow> {
  const user = await userById(db, id);
  if (!user) throw notFound('user', id);
  await checkDefaultProject(db, changes.defaultProjectId);
  const set: Partial<IdentityUserRow> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.enabled !== undefined) set.enabled = changes.enabled;
  if (changes.defaultProjectId !== undefined) set.default_project_id = changes.defaultProjectId;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.email !== undefined) set.email = changes.email;
  if (changes.password !== undefined)
    set.password_hash = changes.password ? await hashPassword(changes.password) : null;
  if (Object.keys(set).length > 0) {
    try {
      await db.kysely.updateTable('identity_user').set(set).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`user - a user named ${changes.name} exists in its domain.`);
      throw err;
    }
  }
  // As Keystone: a new password ends every session of the old one.
  if (changes.password !== undefined) await revokeUserTokens(db, id);
  if (changes.enabled === false) noteRevocation();
  return (await userById(db, id))!;
}

/** Delete a user; their role assignments and tokens go with them. */
export async function deleteUser(db: Db, id: string): Promise<void> {
  const result = await db.kysely.deleteFrom('identity_user').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound('user', id);
  noteRevocation();
}

export async function createRole(
  db: Db,
  spec: { name: string; description?: string | null },
): Promise<IdentityRoleRow> {
  const row: IdentityRoleRow = {
    id: newKeystoneId(),
    name: spec.name,
    description: spec.description ?? null,
    created_at: now(),
  };
  try {
    await db.kysely.insertInto('identity_role').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`role - a role named ${spec.name} exists.`);
    throw err;
  }
  return row;
}

export async function updateRole(
  db: Db,
  id: string,
  changes: { name?: string; description?: string | null },
): Promise<IdentityRoleRow> {
  if (!(await roleById(db, id))) throw notFound('role', id);
  const set: Partial<IdentityRoleRow> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (Object.keys(set).length > 0) {
    try {
      await db.kysely.updateTable('identity_role').set(set).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`role - a role named ${changes.name} exists.`);
      throw err;
    }
    noteRevocation();
  }
  return (await roleById(db, id))!;
}

/** Delete a role and every assignment of it. */
export async function deleteRole(db: Db, id: string): Promise<void> {
  const result = await db.kysely.deleteFrom('identity_role').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound('role', id);
  noteRevocation();
}

async function requireAssignmentParts(db: Db, userId: string, projectId: string, roleId: string): Promise<void> {
  if (!(await roleById(db, roleId))) throw notFound('role', roleId);
  if (!(await userById(db, userId))) throw notFound('user', userId);
  if (!(await projectById(db, projectId))) throw notFound('project', projectId);
}

/** Give the user the role on the project (a no-op when already given). */
export async function grantRole(db: Db, userId: string, projectId: string, roleId: string): Promise<void> {
  await requireAssignmentParts(db, userId, projectId, roleId);
  await db.kysely
    .insertInto('identity_role_assignment')
    .values({ user_id: userId, project_id: projectId, role_id: roleId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

function assignmentNotFound(userId: string, projectId: string, roleId: string) {
  return notFound('role assignment', `role ${roleId}, user ${userId}, project ${projectId}`);
}

export async function hasAssignment(db: Db, userId: string, projectId: string, roleId: string): Promise<boolean> {
  const row = await db.kysely
    .selectFrom('identity_role_assignment')
    .select('role_id')
    .where('user_id', '=', userId)
    .where('project_id', '=', projectId)
    .where('role_id', '=', roleId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Take the role away; a 404 when the user did not hold it there. */
export async function revokeRole(db: Db, userId: string, projectId: string, roleId: string): Promise<void> {
  await requireAssignmentParts(db, userId, projectId, roleId);
  const result = await db.kysely
    .deleteFrom('identity_role_assignment')
    .where('user_id', '=', userId)
    .where('project_id', '=', projectId)
    .where('role_id', '=', roleId)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw assignmentNotFound(userId, projectId, roleId);
  noteRevocation();
}

export { assignmentNotFound };

/** One role assignment with the names of everything in it. */
export interface AssignmentView {
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  projectId: string;
  projectName: string;
  projectDomainId: string;
  projectDomainName: string;
  roleId: string;
  roleName: string;
}

export async function listAssignments(
  db: Db,
  filter: { userId?: string; projectId?: string; roleId?: string } = {},
): Promise<AssignmentView[]> {
  let query = db.kysely
    .selectFrom('identity_role_assignment as a')
    .innerJoin('identity_user as u', 'u.id', 'a.user_id')
    .innerJoin('identity_domain as ud', 'ud.id', 'u.domain_id')
    .innerJoin('identity_project as p', 'p.id', 'a.project_id')
    .innerJoin('identity_domain as pd', 'pd.id', 'p.domain_id')
    .innerJoin('identity_role as r', 'r.id', 'a.role_id')
    .select([
      'u.id as userId',
      'u.name as userName',
      'ud.id as userDomainId',
      'ud.name as userDomainName',
      'p.id as projectId',
      'p.name as projectName',
      'pd.id as projectDomainId',
      'pd.name as projectDomainName',
      'r.id as roleId',
      'r.name as roleName',
    ]);
  if (filter.userId !== undefined) query = query.where('a.user_id', '=', filter.userId);
  if (filter.projectId !== undefined) query = query.where('a.project_id', '=', filter.projectId);
  if (filter.roleId !== undefined) query = query.where('a.role_id', '=', filter.roleId);
  return query.orderBy('u.name').orderBy('p.name').orderBy('r.name').execute();
}
