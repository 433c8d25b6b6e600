import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.js';
import {
  createProject,
  createRole,
  createUser,
  deleteProject,
  deleteRole,
  deleteUser,
  updateProject,
  updateRole,
  updateUser,
} from '../identity-admin.js';
import { domainById, isEnabled, projectById, projectsOfUser, roleById, userById } from '../identity-store.js';
import { badRequest, forbiddenAction, notFound } from '../keystone-errors.js';
import { domainView, projectView, roleView, userView } from './entity-views.js';
import { entityBody, MAX_NAME, nameField, optionalBool, optionalString } from './entity-body.js';
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

/** Keystone's admin API for domains (read only), projects, users and roles. */

type Params = { id: string };

function collection(req: FastifyRequest, key: string, items: unknown[]) {
  return { [key]: items, links: { self: selfUrl(req), previous: null, next: null } };
}

/** Rows filtered by the `?name=`, `?domain_id=` and `?enabled=` a Keystone list takes. */
function listFilters<T extends { name: string; domain_id?: string; enabled?: unknown }>(
  req: FastifyRequest,
  rows: T[],
) {
  const name = queryString(req.query, 'name');
  const domainId = queryString(req.query, 'domain_id');
  const enabled = queryString(req.query, 'enabled');
  return rows.filter(
    (r) =>
      (name === undefined || r.name === name) &&
      (domainId === undefined || r.domain_id === domainId) &&
      (enabled === undefined || isEnabled(r as { enabled: boolean }) === queryFlag(enabled)),
  );
}

async function domainRoutes(app: FastifyInstance, services: IdentityServices, db: Db) {
  app.get('/v3/domains', async (req) => {
    requireAdmin(await callerOf(req, services), 'list_domains');
    const rows = await db.kysely.selectFrom('identity_domain').selectAll().orderBy('name').execute();
    return collection(
      req,
      'domains',
      listFilters(req, rows).map((r) => domainView(r, baseUrl(req))),
    );
  });
  app.get<{ Params: Params }>('/v3/domains/:id', async (req) => {
    const caller = await callerOf(req, services);
    const own = req.params.id === caller.user.domain_id || req.params.id === caller.project?.domain_id;
    if (!own && !isAdmin(caller)) throw forbiddenAction('identity:get_domain');
    const row = await domainById(db, req.params.id);
    if (!row) throw notFound('domain', req.params.id);
    return { domain: domainView(row, baseUrl(req)) };
  });
}

async function projectRoutes(app: FastifyInstance, services: IdentityServices, db: Db) {
  app.get('/v3/projects', async (req) => {
    requireAdmin(await callerOf(req, services), 'list_projects');
    const rows = await db.kysely.selectFrom('identity_project').selectAll().orderBy('name').execute();
    return collection(
      req,
      'projects',
      listFilters(req, rows).map((r) => projectView(r, baseUrl(req))),
    );
  });
  app.get<{ Params: Params }>('/v3/projects/:id', async (req) => {
    const caller = await callerOf(req, services);
    // Members may read the project their token is scoped to.
    if (req.params.id !== caller.project?.id && !isAdmin(caller)) throw forbiddenAction('identity:get_project');
    const row = await projectById(db, req.params.id);
    if (!row) throw notFound('project', req.params.id);
    return { project: projectView(row, baseUrl(req)) };
  });
  app.post('/v3/projects', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'create_project');
    const body = entityBody(req.body, 'project');
    const domainId = optionalString(body, 'domain_id', { max: 64 }) ?? 'default';
    const parentId = optionalString(body, 'parent_id', { max: 64, nullable: true });
    if (parentId && parentId !== domainId)
      throw badRequest('Project hierarchies are not supported: parent_id must be the domain.');
    if (optionalBool(body, 'is_domain') === true) throw badRequest('Creating domains as projects is not supported.');
    const row = await createProject(db, {
      name: nameField(body, true)!,
      domainId,
      description: optionalString(body, 'description') ?? '',
      enabled: optionalBool(body, 'enabled'),
    });
    return reply.code(201).send({ project: projectView(row, baseUrl(req)) });
  });
  app.patch<{ Params: Params }>('/v3/projects/:id', async (req) => {
    requireAdmin(await callerOf(req, services), 'update_project');
    const body = entityBody(req.body, 'project');
    const row = await updateProject(db, req.params.id, {
      name: nameField(body, false),
      description: optionalString(body, 'description') ?? undefined,
      enabled: optionalBool(body, 'enabled'),
    });
    return { project: projectView(row, baseUrl(req)) };
  });
  app.delete<{ Params: Params }>('/v3/projects/:id', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'delete_project');
    await deleteProject(db, req.params.id);
    return reply.code(204).send();
  });
}

/** The user fields a create or update may carry. */
function userFields(body: Record<string, unknown>) {
  return {
    password: optionalString(body, 'password', { max: 4096, nullable: true }),
    enabled: optionalBool(body, 'enabled'),
    defaultProjectId: optionalString(body, 'default_project_id', { max: 64, nullable: true }),
    description: optionalString(body, 'description', { nullable: true }),
    email: optionalString(body, 'email', { max: MAX_NAME, nullable: true }),
  };
}

async function userRoutes(app: FastifyInstance, services: IdentityServices, db: Db) {
  app.get('/v3/users', async (req) => {
    requireAdmin(await callerOf(req, services), 'list_users');
    const rows = await db.kysely.selectFrom('identity_user').selectAll().orderBy('name').execute();
    return collection(
      req,
      'users',
      listFilters(req, rows).map((r) => userView(r, baseUrl(req))),
    );
  });
  app.get<{ Params: Params }>('/v3/users/:id', async (req) => {
    const caller = await callerOf(req, services);
    if (req.params.id !== caller.user.id && !isAdmin(caller)) throw forbiddenAction('identity:get_user');
    const row = await userById(db, req.params.id);
    if (!row) throw notFound('user', req.params.id);
    return { user: userView(row, baseUrl(req)) };
  });
  app.get<{ Params: Params }>('/v3/users/:id/projects', async (req) => {
    const caller = await callerOf(req, services);
    if (req.params.id !== caller.user.id && !isAdmin(caller)) throw forbiddenAction('identity:list_user_projects');
    if (!(await userById(db, req.params.id))) throw notFound('user', req.params.id);
    const rows = await projectsOfUser(db, req.params.id);
    return collection(
      req,
      'projects',
      listFilters(req, rows).map((r) => projectView(r, baseUrl(req))),
    );
  });
  app.post('/v3/users', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'create_user');
    const body = entityBody(req.body, 'user');
    const row = await createUser(db, {
      name: nameField(body, true)!,
      domainId: optionalString(body, 'domain_id', { max: 64 }) ?? 'default',
      ...userFields(body),
    });
    return reply.code(201).send({ user: userView(row, baseUrl(req)) });
  });
  app.patch<{ Params: Params }>('/v3/users/:id', async (req) => {
    requireAdmin(await callerOf(req, services), 'update_user');
    const body = entityBody(req.body, 'user');
    if (body.domain_id !== undefined) throw badRequest('A user cannot move to another domain.');
    const row = await updateUser(db, req.params.id, { name: nameField(body, false), ...userFields(body) });
    return { user: userView(row, baseUrl(req)) };
  });
  app.delete<{ Params: Params }>('/v3/users/:id', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'delete_user');
    await deleteUser(db, req.params.id);
    return reply.code(204).send();
  });
}

async function roleRoutes(app: FastifyInstance, services: IdentityServices, db: Db) {
  app.get('/v3/roles', async (req) => {
    requireAdmin(await callerOf(req, services), 'list_roles');
    const rows = await db.kysely.selectFrom('identity_role').selectAll().orderBy('name').execute();
    return collection(
      req,
      'roles',
      listFilters(req, rows).map((r) => roleView(r, baseUrl(req))),
    );
  });
  app.get<{ Params: Params }>('/v3/roles/:id', async (req) => {
    requireAdmin(await callerOf(req, services), 'get_role');
    const row = await roleById(db, req.params.id);
    if (!row) throw notFound('role', req.params.id);
    return { role: roleView(row, baseUrl(req)) };
  });
  app.post('/v3/roles', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'create_role');
    const body = entityBody(req.body, 'role');
    if (typeof body.domain_id === 'string') throw badRequest('Domain-specific roles are not supported.');
    const row = await createRole(db, {
      name: nameField(body, true)!,
      description: optionalString(body, 'description', { nullable: true }),
    });
    return reply.code(201).send({ role: roleView(row, baseUrl(req)) });
  });
  app.patch<{ Params: Params }>('/v3/roles/:id', async (req) => {
    requireAdmin(await callerOf(req, services), 'update_role');
    const body = entityBody(req.body, 'role');
    const row = await updateRole(db, req.params.id, {
      name: nameField(body, false),
      description: optionalString(body, 'description', { nullable: true }),
    });
    return { role: roleView(row, baseUrl(req)) };
  });
  app.delete<{ Params: Params }>('/v3/roles/:id', async (req, reply) => {
    requireAdmin(await callerOf(req, services), 'delete_role');
    await deleteRole(db, req.params.id);
    return reply.code(204).send();
  });
}

export async function adminRoutes(app: FastifyInstance, services: IdentityServices): Promise<void> {
  await domainRoutes(app, services, services.db);
  await projectRoutes(app, services, services.db);
  await userRoutes(app, services, services.db);
  await roleRoutes(app, services, services.db);
}
