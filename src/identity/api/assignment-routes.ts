import type { FastifyInstance } from 'fastify';
import {
  assignmentNotFound,
  grantRole,
  hasAssignment,
  listAssignments,
  revokeRole,
  type AssignmentView,
} from '../identity-admin.js';
import { assignedRoles, expandRolesWith, projectById, roleById, userById } from '../identity-store.js';
import { forbiddenAction, notFound } from '../keystone-errors.js';
import { roleView } from './entity-views.js';
import {
  baseUrl,
  callerOf,
  isAdmin,
  queryFlag,
  queryString,
  requireAdmin,
  selfUrl,
  type IdentityServices,
} from './identity-services.js';

/** Role grants on projects (`/v3/projects/{p}/users/{u}/roles/{r}`) and `GET /v3/role_assignments`. */

type GrantParams = { projectId: string; userId: string; roleId: string };
const GRANT = '/v3/projects/:projectId/users/:userId/roles/:roleId';

/** One element of Keystone's role_assignments list. */
function assignmentEntry(a: AssignmentView, base: string, withNames: boolean, roleId: string, roleName: string) {
  const domain = (id: string, name: string) => (withNames ? { id, name } : { id });
  const named = <T extends object>(entry: T, name: string) => (withNames ? { ...entry, name } : entry);
  return {
    role: named({ id: roleId }, roleName),
    user: named(
      { id: a.userId, ...(withNames ? { domain: domain(a.userDomainId, a.userDomainName) } : {}) },
      a.userName,
    ),
    scope: {
      project: named(
        { id: a.projectId, ...(withNames ? { domain: domain(a.projectDomainId, a.projectDomainName) } : {}) },
        a.projectName,
      ),
    },
    links: { assignment: `${base}/v3/projects/${a.projectId}/users/${a.userId}/roles/${roleId}` },
  };
}

export async function assignmentRoutes(app: FastifyInstance, services: IdentityServices): Promise<void> {
  const { db } = services;

  app.put<{ Params: GrantParams }>(GRANT, async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'create_grant');
    await grantRole(db, req.params.userId, req.params.projectId, req.params.roleId);
    return reply.code(204).send();
  });

  // HEAD and GET of a grant: 204 when held, 404 otherwise (GET answers the same, as Keystone does).
  const checkGrant = async (req: { params: GrantParams }) => {
    const { userId, projectId, roleId } = req.params;
    if (!(await roleById(db, roleId))) throw notFound('role', roleId);
    if (!(await userById(db, userId))) throw notFound('user', userId);
    if (!(await projectById(db, projectId))) throw notFound('project', projectId);
    if (!(await hasAssignment(db, userId, projectId, roleId))) throw assignmentNotFound(userId, projectId, roleId);
  };
  app.get<{ Params: GrantParams }>(GRANT, async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'check_grant');
    await checkGrant(req);
    return reply.code(204).send();
  });

  app.delete<{ Params: GrantParams }>(GRANT, async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'revoke_grant');
    await revokeRole(db, req.params.userId, req.params.projectId, req.params.roleId);
    return reply.code(204).send();
  });

  app.get<{ Params: { projectId: string; userId: string } }>(
    '/v3/projects/:projectId/users/:userId/roles',
    async (req) => {
      const caller = await callerOf(req, services);
      if (req.params.userId !== caller.user.id && !isAdmin(caller)) throw forbiddenAction('identity:list_grants');
      if (!(await userById(db, req.params.userId))) throw notFound('user', req.params.userId);
      if (!(await projectById(db, req.params.projectId))) throw notFound('project', req.params.projectId);
      const roles = await assignedRoles(db, req.params.userId, req.params.projectId);
      const rows = await db.kysely
        .selectFrom('identity_role')
        .selectAll()
        .where('id', 'in', roles.length > 0 ? roles.map((r) => r.id) : [''])
        .orderBy('name')
        .execute();
      return {
        roles: rows.map((r) => roleView(r, baseUrl(req))),
        links: { self: selfUrl(req), previous: null, next: null },
      };
    },
  );

  app.get('/v3/role_assignments', async (req) => {
    const caller = await callerOf(req, services);
    const userId = queryString(req.query, 'user.id');
    // Anyone may list their own assignments; everything else is for admins.
    if (userId !== caller.user.id) requireAdmin(caller, 'list_role_assignments');
    const withNames = queryFlag(queryString(req.query, 'include_names'));
    const effective = queryFlag(queryString(req.query, 'effective'));
    const roleId = queryString(req.query, 'role.id');
    const rows = await listAssignments(db, { userId, projectId: queryString(req.query, 'scope.project.id') });
    const base = baseUrl(req);
    const entries: object[] = [];
    if (!effective) {
      for (const a of rows)
        if (roleId === undefined || a.roleId === roleId)
          entries.push(assignmentEntry(a, base, withNames, a.roleId, a.roleName));
    } else {
      // Effective: each user and project once, with the implied roles beside the assigned ones.
      const groups = new Map<string, AssignmentView[]>();
      for (const a of rows) {
        const key = `${a.userId}\n${a.projectId}`;
        const group = groups.get(key);
        if (group) group.push(a);
        else groups.set(key, [a]);
      }
      // One read of the roles for every group, not one per user and project.
      const roles = await db.kysely.selectFrom('identity_role').select(['id', 'name']).execute();
      const roleIdByName = new Map(roles.map((r) => [r.name, r.id]));
      for (const group of groups.values()) {
        const expanded = expandRolesWith(
          group.map((a) => ({ id: a.roleId, name: a.roleName })),
          roleIdByName,
        );
        for (const role of expanded) {
          if (roleId === undefined || role.id === roleId)
            entries.push(assignmentEntry(group[0]!, base, withNames, role.id, role.name));
        }
      }
    }
    return { role_assignments: entries, links: { self: selfUrl(req), previous: null, next: null } };
  });
}
