import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, it } from 'node:test';
import type { AuthContext, TokenValidator } from '../../src/identity/auth-context.js';
import { buildNetworkApi } from '../../src/network/api/network-api.js';
import { DEFAULT_NETWORK_IDS } from '../../src/network/default-networks.js';
import { TestService } from '../helpers/service.js';

/** The network API with Keystone tokens: 401 without a valid one; admins see all, others their own + shared. */

const context = (projectId: string, roles: string[]): AuthContext => ({
  userId: `user-${projectId}`,
  userName: `user-${projectId}`,
  userDomainId: 'default',
  projectId,
  projectName: projectId,
  projectDomainId: 'default',
  roles,
  expiresAt: new Date(Date.now() + 3600_000),
});

/** A stand-in for the identity service: three fixed tokens. */
const tokens: TokenValidator = {
  async validate(token) {
    return (
      {
        'admin-token': context('admin-project', ['admin', 'member']),
        'alice-token': context('project-alice', ['member']),
        'bob-token': context('project-bob', ['member']),
      } as Record<string, AuthContext>
    )[token];
  },
};

describe('network API with keystone tokens', () => {
  let svc: TestService;
  let api: FastifyInstance;
  let base = '';
  const call = async (token: string | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    svc = await TestService.start({ api: { authStrategy: 'keystone', port: 0 } }, { tokens });
    api = await buildNetworkApi({ db: svc.node.db, config: svc.config, log: svc.node.log, tokens });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await api?.close();
    await svc?.stop();
  });

  it('needs a valid token for everything but the version document', async () => {
    assert.equal((await call(undefined, 'GET', '/')).status, 200);
    for (const token of [undefined, 'forged']) {
      const res = await call(token, 'GET', '/v2.0/networks');
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 401);
    }
    const refused = await call(undefined, 'POST', '/v2.0/networks', { network: { name: 'sneaky' } });
    assert.equal(refused.status, 401);
    const all = await call('admin-token', 'GET', '/v2.0/networks?name=sneaky');
    assert.deepEqual(all.body.networks, [], 'nothing was created');
  });

  it('shows a member its own objects plus shared and external networks; admins see everything', async () => {
    const alice = await call('alice-token', 'POST', '/v2.0/networks', { network: { name: 'alice-net' } });
    assert.equal(alice.status, 201);
    assert.equal(alice.body.network.project_id, 'project-alice');
    const subnet = await call('alice-token', 'POST', '/v2.0/subnets', {
      subnet: { network_id: alice.body.network.id, cidr: '127.40.0.0/24', ip_version: 4 },
    });
    assert.equal(subnet.status, 201);
    const bob = await call('bob-token', 'POST', '/v2.0/networks', { network: { name: 'bob-net' } });
    assert.equal(bob.status, 201);

    const names = async (token: string) =>
      (await call(token, 'GET', '/v2.0/networks')).body.networks.map((n: any) => n.name).sort();
    assert.deepEqual(await names('alice-token'), ['alice-net', 'private', 'public']);
    assert.deepEqual(await names('bob-token'), ['bob-net', 'private', 'public']);
    assert.deepEqual(await names('admin-token'), ['alice-net', 'bob-net', 'private', 'public']);
    const bobSubnets = (await call('bob-token', 'GET', '/v2.0/subnets')).body.subnets.map((s: any) => s.name).sort();
    assert.deepEqual(bobSubnets, ['private-subnet', 'public-subnet']);

    // Another project's object is not found; a shared one may be seen but not changed.
    assert.equal((await call('bob-token', 'GET', `/v2.0/networks/${alice.body.network.id}`)).status, 404);
    assert.equal((await call('bob-token', 'DELETE', `/v2.0/networks/${alice.body.network.id}`)).status, 404);
    const shared = await call('bob-token', 'PUT', `/v2.0/networks/${DEFAULT_NETWORK_IDS.public}`, {
      network: { name: 'mine' },
    });
    assert.equal(shared.status, 403);
    assert.equal(
      (await call('bob-token', 'POST', '/v2.0/networks', { network: { name: 'x', shared: true } })).status,
      403,
    );
    assert.equal(
      (await call('bob-token', 'POST', '/v2.0/networks', { network: { name: 'x', project_id: 'project-alice' } }))
        .status,
      403,
    );
    const fip = await call('bob-token', 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.public },
    });
    assert.equal(fip.status, 201);
    assert.deepEqual((await call('alice-token', 'GET', '/v2.0/floatingips')).body.floatingips, []);
    assert.equal((await call('admin-token', 'GET', '/v2.0/floatingips')).body.floatingips.length, 1);
    const admin = await call('admin-token', 'DELETE', `/v2.0/networks/${bob.body.network.id}`);
    assert.equal(admin.status, 204);
  });
});
