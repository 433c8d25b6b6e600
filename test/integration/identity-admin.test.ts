import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalTokenValidator } from '../../src/identity/local-token-validator.js';
import { issueToken, TestIdentity } from '../helpers/identity.js';

describe('identity: admin API', () => {
  let id: TestIdentity;
  let admin: string;
  let demo: string;
  before(async () => {
    id = await TestIdentity.start();
    admin = await id.token('admin');
    demo = await id.token('demo');
  });
  after(() => id.stop());

  const get = (path: string, token = admin) => id.request('GET', path, { token });
  const post = (path: string, body: unknown, token = admin) => id.request('POST', path, { token, body });

  it('lists and shows the default domain, by id and by name', async () => {
    const list = await get('/v3/domains?name=Default');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.domains.map((d: any) => [d.id, d.name, d.enabled]),
      [['default', 'Default', true]],
    );
    assert.deepEqual(list.body.links, { self: `${id.url}/v3/domains?name=Default`, next: null, previous: null });
    const show = await get('/v3/domains/default');
    assert.equal(show.body.domain.links.self, `${id.url}/v3/domains/default`);
    assert.equal((await get('/v3/domains/nope')).status, 404);
  });

  it('creates a project, user and role, grants the role, and the user can then authenticate there', async () => {
    const project = await post('/v3/projects', { project: { name: 'team-a', domain_id: 'default', description: 'A' } });
    assert.equal(project.status, 201);
    const p = project.body.project;
    assert.match(p.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      { name: p.name, domain_id: p.domain_id, enabled: p.enabled, parent_id: p.parent_id, is_domain: p.is_domain },
      { name: 'team-a', domain_id: 'default', enabled: true, parent_id: 'default', is_domain: false },
    );
    const user = await post('/v3/users', {
      user: { name: 'alice', domain_id: 'default', password: 'alice-pw-1', default_project_id: p.id, email: 'a@x' },
    });
    assert.equal(user.status, 201);
    const u = user.body.user;
    assert.equal(u.password, undefined, 'never the password');
    assert.equal(JSON.stringify(user.body).includes('alice-pw-1'), false);
    assert.equal(u.default_project_id, p.id);
    assert.equal(u.password_expires_at, null);
    const role = await post('/v3/roles', { role: { name: 'custom-role' } });
    assert.equal(role.status, 201);
    const r = role.body.role;

    // No role yet: alice cannot scope to team-a.
    await assert.rejects(issueToken(id.url, 'alice', 'alice-pw-1', 'team-a'), /401/);
    const grant = await id.request('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`, { token: admin });
    assert.equal(grant.status, 204);
    assert.equal(
      (await id.request('HEAD', `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`, { token: admin })).status,
      204,
    );
    const memberRole = (await get('/v3/roles?name=member')).body.roles[0];
    assert.equal(
      (await id.request('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${memberRole.id}`, { token: admin })).status,
      204,
    );
    const roles = await get(`/v3/projects/${p.id}/users/${u.id}/roles`);
    assert.deepEqual(
      roles.body.roles.map((x: any) => x.name),
      ['custom-role', 'member'],
    );

    const alice = await issueToken(id.url, 'alice', 'alice-pw-1', 'team-a');
    assert.deepEqual(alice.body.token.roles.map((x: any) => x.name).sort(), ['custom-role', 'member', 'reader']);

    const assignments = await get(`/v3/role_assignments?user.id=${u.id}&include_names=True`);
    assert.equal(assignments.status, 200);
    assert.deepEqual(
      assignments.body.role_assignments.map((a: any) => [
        a.role.name,
        a.user.name,
        a.user.domain.name,
        a.scope.project.name,
      ]),
      [
        ['custom-role', 'alice', 'Default', 'team-a'],
        ['member', 'alice', 'Default', 'team-a'],
      ],
    );
    assert.equal(
      assignments.body.role_assignments[0].links.assignment,
      `${id.url}/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`,
    );
    const effective = await get(`/v3/role_assignments?scope.project.id=${p.id}&effective`);
    assert.deepEqual(
      effective.body.role_assignments.map((a: any) => a.role.id).sort(),
      [r.id, memberRole.id, (await get('/v3/roles?name=reader')).body.roles[0].id].sort(),
    );
    assert.equal(effective.body.role_assignments[0].role.name, undefined, 'names only with include_names');
    const byRole = await get(`/v3/role_assignments?role.id=${r.id}`);
    assert.deepEqual(
      byRole.body.role_assignments.map((a: any) => a.user.id),
      [u.id],
    );
    const projects = await get(`/v3/users/${u.id}/projects`);
    assert.deepEqual(
      projects.body.projects.map((x: any) => x.name),
      ['team-a'],
    );

    // Removing the roles takes effect on the live token: no role left on the project, no valid token.
    const validator = createLocalTokenValidator(id.db);
    assert.ok(await validator.validate(alice.token));
    for (const roleId of [r.id, memberRole.id]) {
      const del = await id.request('DELETE', `/v3/projects/${p.id}/users/${u.id}/roles/${roleId}`, { token: admin });
      assert.equal(del.status, 204);
    }
    assert.equal(
      (await id.request('HEAD', `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`, { token: admin })).status,
      404,
    );
    assert.equal(
      (await id.request('DELETE', `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`, { token: admin })).status,
      404,
    );
    assert.equal(await validator.validate(alice.token), undefined);
  });

  it('finds by name, updates, disables, and refuses a disabled user', async () => {
    const demoProject = (await get('/v3/projects?name=demo')).body.projects[0];
    const bob = (await post('/v3/users', { user: { name: 'bob', password: 'bob-pw' } })).body.user;
    assert.equal(bob.domain_id, 'default');
    const memberRole = (await get('/v3/roles?name=member')).body.roles[0];
    await id.request('PUT', `/v3/projects/${demoProject.id}/users/${bob.id}/roles/${memberRole.id}`, { token: admin });
    const token = await issueToken(id.url, 'bob', 'bob-pw', 'demo');
    const found = await get('/v3/users?name=bob&domain_id=default');
    assert.deepEqual(
      found.body.users.map((x: any) => x.id),
      [bob.id],
    );
    assert.deepEqual((await get('/v3/users?name=nobody')).body.users, []);

    // A new password ends the old sessions and the old password.
    const changed = await id.request('PATCH', `/v3/users/${bob.id}`, {
      token: admin,
      body: { user: { password: 'bob-pw-2' } },
    });
    assert.equal(changed.status, 200);
    assert.equal(await createLocalTokenValidator(id.db).validate(token.token), undefined);
    await assert.rejects(issueToken(id.url, 'bob', 'bob-pw', 'demo'), /401/);
    await issueToken(id.url, 'bob', 'bob-pw-2', 'demo');

    const disabled = await id.request('PATCH', `/v3/users/${bob.id}`, {
      token: admin,
      body: { user: { enabled: false } },
    });
    assert.equal(disabled.body.user.enabled, false);
    await assert.rejects(issueToken(id.url, 'bob', 'bob-pw-2', 'demo'), /401/);
    await id.request('PATCH', `/v3/users/${bob.id}`, { token: admin, body: { user: { enabled: true } } });
    await issueToken(id.url, 'bob', 'bob-pw-2', 'demo');

    // A disabled project cannot be scoped to.
    const project = (await post('/v3/projects', { project: { name: 'paused' } })).body.project;
    await id.request('PUT', `/v3/projects/${project.id}/users/${bob.id}/roles/${memberRole.id}`, { token: admin });
    await issueToken(id.url, 'bob', 'bob-pw-2', 'paused');
    const off = await id.request('PATCH', `/v3/projects/${project.id}`, {
      token: admin,
      body: { project: { enabled: false } },
    });
    assert.equal(off.body.project.enabled, false);
    await assert.rejects(issueToken(id.url, 'bob', 'bob-pw-2', 'paused'), /401/);
  });

  it('answers 409 for a taken name and 400 for a malformed body, changing nothing', async () => {
    const countUsers = async () => (await get('/v3/users')).body.users.length;
    const before = await countUsers();
    const duplicate = await post('/v3/users', { user: { name: 'demo', password: 'x' } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.title, 'Conflict');
    assert.equal((await post('/v3/projects', { project: { name: 'demo' } })).status, 409);
    assert.equal((await post('/v3/roles', { role: { name: 'admin' } })).status, 409);
    for (const body of [{}, { user: 'x' }, { user: { name: '' } }, { user: { name: 'x', enabled: 'yes' } }, '{bad']) {
      const res = await post('/v3/users', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 400);
    }
    assert.equal((await post('/v3/users', { user: { name: 'x', default_project_id: 'missing' } })).status, 400);
    assert.equal((await post('/v3/users', { user: { name: 'x', domain_id: 'missing' } })).status, 404);
    assert.equal(await countUsers(), before);
    const missing = await get('/v3/projects/does-not-exist');
    assert.deepEqual(missing.body, {
      error: { code: 404, title: 'Not Found', message: 'Could not find project: does-not-exist.' },
    });
  });

  it('refuses the demo user everything but its own user, project and tokens (403), and callers without a token (401)', async () => {
    const demoToken = await issueToken(id.url, 'demo', await id.password('demo'), 'demo');
    const demoUserId = demoToken.body.token.user.id;
    const demoProjectId = demoToken.body.token.project.id;
    const adminProject = (await get('/v3/projects?name=admin')).body.projects[0];
    const forbidden: Array<[string, string, unknown?]> = [
      ['GET', '/v3/projects'],
      ['GET', '/v3/users'],
      ['GET', '/v3/roles'],
      ['GET', '/v3/domains'],
      ['GET', '/v3/role_assignments'],
      ['GET', `/v3/projects/${adminProject.id}`],
      ['POST', '/v3/projects', { project: { name: 'sneaky' } }],
      ['POST', '/v3/users', { user: { name: 'sneaky' } }],
      ['POST', '/v3/roles', { role: { name: 'sneaky' } }],
      ['PATCH', `/v3/users/${demoUserId}`, { user: { enabled: false } }],
      ['DELETE', `/v3/projects/${adminProject.id}`],
      ['PUT', `/v3/projects/${adminProject.id}/users/${demoUserId}/roles/x`],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await id.request(method, path, { token: demo, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.title, 'Forbidden');
      const anonymous = await id.request(method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
    }
    assert.equal((await get('/v3/projects?name=sneaky')).body.projects.length, 0);
    assert.equal((await get(`/v3/users/${demoUserId}`, demo)).status, 200);
    assert.equal((await get(`/v3/projects/${demoProjectId}`, demo)).status, 200);
    assert.equal((await get(`/v3/users/${demoUserId}/projects`, demo)).status, 200);
    assert.equal((await get(`/v3/role_assignments?user.id=${demoUserId}`, demo)).status, 200);
    assert.equal((await get('/v3/domains/default', demo)).status, 200);
  });

  it('deleting a user or a project revokes its tokens', async () => {
    const project = (await post('/v3/projects', { project: { name: 'short-lived' } })).body.project;
    const carol = (await post('/v3/users', { user: { name: 'carol', password: 'carol-pw' } })).body.user;
    const member = (await get('/v3/roles?name=member')).body.roles[0];
    await id.request('PUT', `/v3/projects/${project.id}/users/${carol.id}/roles/${member.id}`, { token: admin });
    const demoProject = (await get('/v3/projects?name=demo')).body.projects[0];
    await id.request('PUT', `/v3/projects/${demoProject.id}/users/${carol.id}/roles/${member.id}`, { token: admin });
    const onProject = await issueToken(id.url, 'carol', 'carol-pw', 'short-lived');
    const onDemo = await issueToken(id.url, 'carol', 'carol-pw', 'demo');
    const validator = createLocalTokenValidator(id.db);
    assert.ok(await validator.validate(onProject.token));
    assert.equal((await id.request('DELETE', `/v3/projects/${project.id}`, { token: admin })).status, 204);
    assert.equal(await validator.validate(onProject.token), undefined);
    assert.ok(await validator.validate(onDemo.token));
    assert.equal((await id.request('DELETE', `/v3/users/${carol.id}`, { token: admin })).status, 204);
    assert.equal(await validator.validate(onDemo.token), undefined);
    assert.equal((await id.request('DELETE', `/v3/users/${carol.id}`, { token: admin })).status, 404);
    const leftovers = await id.db.kysely
      .selectFrom('identity_token')
      .select('token_hash')
      .where('user_id', '=', carol.id)
      .execute();
    assert.deepEqual(leftovers, []);
  });

  it('deletes a role with its assignments', async () => {
    const role = (await post('/v3/roles', { role: { name: 'temp-role' } })).body.role;
    const demoUser = (await get('/v3/users?name=demo')).body.users[0];
    const demoProject = (await get('/v3/projects?name=demo')).body.projects[0];
    await id.request('PUT', `/v3/projects/${demoProject.id}/users/${demoUser.id}/roles/${role.id}`, { token: admin });
    assert.equal((await get(`/v3/role_assignments?role.id=${role.id}`)).body.role_assignments.length, 1);
    assert.equal((await id.request('DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal((await get(`/v3/roles/${role.id}`)).status, 404);
    assert.equal((await get(`/v3/role_assignments?role.id=${role.id}`)).body.role_assignments.length, 0);
  });
});
