import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueToken, openrcVariables } from '../helpers/identity.js';
import { TestService } from '../helpers/service.js';

/**
 * Identity, policy and the Octavia API together, as a node in keystone mode serves them: tokens issued by
 * the node's own identity service for the users its first start created, and for users an admin adds
 * through the identity API, decide what each caller may see and change.
 */

const SUBNET = '11111111-2222-3333-4444-555555555555';
const LB_PATH = '/v2/lbaas/loadbalancers';

describe('identity, policy and the API together (keystone mode)', () => {
  let svc: TestService;
  let identity: string;
  let passwords: Record<'admin' | 'demo', string>;
  let adminToken: string;
  let demoToken: string;

  /** A call to the identity service with a token. */
  const keystone = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(identity + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const api = (method: string, path: string, token: string | undefined, body?: unknown) =>
    svc.request(method, path, body, token === undefined ? {} : { 'x-auth-token': token });
  const countLbs = async () => (await svc.node.db.kysely.selectFrom('load_balancer').select('id').execute()).length;

  /** A new project and user in it holding `roles`, made by the admin through the identity API. */
  async function userWithRoles(name: string, roles: string[]): Promise<{ token: string; projectId: string }> {
    const project = await keystone('POST', '/v3/projects', adminToken, { project: { name: `${name}-project` } });
    assert.equal(project.status, 201);
    const user = await keystone('POST', '/v3/users', adminToken, { user: { name, password: `${name}-secret-pw` } });
    assert.equal(user.status, 201);
    const allRoles = (await keystone('GET', '/v3/roles', adminToken)).body.roles as Array<{ id: string; name: string }>;
    for (const role of roles) {
      const id = allRoles.find((r) => r.name === role)!.id;
      const assigned = await keystone(
        'PUT',
        `/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${id}`,
        adminToken,
      );
      assert.equal(assigned.status, 204);
    }
    const issued = await issueToken(identity, name, `${name}-secret-pw`, `${name}-project`);
    return { token: issued.token, projectId: project.body.project.id };
  }

  before(async () => {
    svc = await TestService.start({ api: { authStrategy: 'keystone' } });
    identity = svc.node.apis!.authUrl!.replace(/\/v3$/, '');
    const read = (file: string) => openrcVariables(readFileSync(join(svc.config.dataDir, file), 'utf8')).OS_PASSWORD!;
    passwords = { admin: read('admin-openrc'), demo: read('demo-openrc') };
    adminToken = (await issueToken(identity, 'admin', passwords.admin, 'admin')).token;
    demoToken = (await issueToken(identity, 'demo', passwords.demo, 'demo')).token;
  });
  after(() => svc?.stop());

  it('refuses a wrong password at the identity service, and no token or a made-up one at the API', async () => {
    const wrong = await fetch(`${identity}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { id: 'default' }, password: 'not-the-password' } },
          },
        },
      }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('x-subject-token'), null);
    for (const token of [undefined, 'not-a-token']) {
      const res = await api('POST', LB_PATH, token, { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(res.status, 401);
      assert.equal(res.body.faultstring, 'The request you have made requires authentication.');
    }
    assert.equal(await countLbs(), 0);
  });

  it('keeps each project to its own load balancers; the admin sees them all', async () => {
    const created = await api('POST', LB_PATH, demoToken, { loadbalancer: { name: 'demo-lb', vip_subnet_id: SUBNET } });
    assert.equal(created.status, 201);
    const lb = created.body.loadbalancer;
    const demoProject = (await issueToken(identity, 'demo', passwords.demo, 'demo')).body.token.project.id;
    assert.equal(lb.project_id, demoProject, 'the owner comes from the token');

    const other = await userWithRoles('other', ['member', 'load-balancer_member']);
    assert.equal((await api('GET', `${LB_PATH}/${lb.id}`, other.token)).status, 403);
    assert.equal((await api('PUT', `${LB_PATH}/${lb.id}`, other.token, { loadbalancer: { name: 'x' } })).status, 403);
    assert.equal((await api('DELETE', `${LB_PATH}/${lb.id}`, other.token)).status, 403);
    assert.deepEqual((await api('GET', LB_PATH, other.token)).body.loadbalancers, []);
    assert.equal((await api('GET', `${LB_PATH}?project_id=${demoProject}`, other.token)).status, 403);

    const all = await api('GET', LB_PATH, adminToken);
    assert.deepEqual(
      all.body.loadbalancers.map((l: { id: string }) => l.id),
      [lb.id],
    );
    const stored = await svc.node.db.kysely
      .selectFrom('load_balancer')
      .select('name')
      .where('id', '=', lb.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.name, 'demo-lb', 'nothing the other project tried changed it');
  });

  it('lets a reader read and not write, and the amphora API only to admins', async () => {
    const reader = await userWithRoles('watcher', ['reader']);
    assert.equal((await api('GET', LB_PATH, reader.token)).status, 200);
    const before = await countLbs();
    const refused = await api('POST', LB_PATH, reader.token, { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.faultstring, 'Policy does not allow this request to be performed.');
    assert.equal(await countLbs(), before);
    assert.equal((await api('GET', '/v2/octavia/amphorae', demoToken)).status, 403);
    assert.equal((await api('GET', '/v2/octavia/amphorae', adminToken)).status, 200);
  });

  it('refuses a revoked token at once, and a token whose user lost its roles', async () => {
    const { token } = await issueToken(identity, 'demo', passwords.demo, 'demo');
    assert.equal((await api('GET', LB_PATH, token)).status, 200);
    // The caller revokes its own token: X-Subject-Token names it.
    const del = await fetch(`${identity}/v3/auth/tokens`, {
      method: 'DELETE',
      headers: { 'x-auth-token': token, 'x-subject-token': token },
    });
    assert.equal(del.status, 204);
    assert.equal((await api('GET', LB_PATH, token)).status, 401);

    const temp = await userWithRoles('temp', ['member']);
    assert.equal((await api('GET', LB_PATH, temp.token)).status, 200);
    const users = (await keystone('GET', '/v3/users?name=temp', adminToken)).body.users as Array<{ id: string }>;
    assert.equal((await keystone('DELETE', `/v3/users/${users[0]!.id}`, adminToken)).status, 204);
    assert.equal((await api('GET', LB_PATH, temp.token)).status, 401);
  });
});

describe('an expired token', () => {
  let svc: TestService;
  after(() => svc?.stop());

  it('is refused by the API once its lifetime is over', async () => {
    svc = await TestService.start({ api: { authStrategy: 'keystone' }, identity: { port: 0, tokenTtlSeconds: 1 } });
    const identity = svc.node.apis!.authUrl!.replace(/\/v3$/, '');
    const rc = openrcVariables(readFileSync(join(svc.config.dataDir, 'demo-openrc'), 'utf8'));
    const { token } = await issueToken(identity, 'demo', rc.OS_PASSWORD!, 'demo');
    assert.equal((await svc.request('GET', LB_PATH, undefined, { 'x-auth-token': token })).status, 200);
    await new Promise((r) => setTimeout(r, 3_100));
    assert.equal((await svc.request('GET', LB_PATH, undefined, { 'x-auth-token': token })).status, 401);
  });
});

describe('tokens validated by an external Keystone', () => {
  let keystoneNode: TestService;
  let svc: TestService;
  after(async () => {
    await svc?.stop();
    await keystoneNode?.stop();
  });

  it('serves no identity of its own and takes the tokens the external one issued', async () => {
    keystoneNode = await TestService.start({ api: { authStrategy: 'keystone' } });
    const authUrl = keystoneNode.node.apis!.authUrl!;
    svc = await TestService.start({ api: { authStrategy: 'keystone' }, identity: { externalUrl: authUrl } });
    assert.equal(svc.node.apis!.authUrl, undefined, 'no identity service of its own');
    const rc = openrcVariables(readFileSync(join(keystoneNode.config.dataDir, 'demo-openrc'), 'utf8'));
    const { token } = await issueToken(authUrl.replace(/\/v3$/, ''), 'demo', rc.OS_PASSWORD!, 'demo');
    const created = await svc.request(
      'POST',
      LB_PATH,
      { loadbalancer: { vip_subnet_id: SUBNET } },
      { 'x-auth-token': token },
    );
    assert.equal(created.status, 201);
    const forged = await svc.request('GET', LB_PATH, undefined, { 'x-auth-token': `${token}x` });
    assert.equal(forged.status, 401);
  });
});
