import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { unguardedRoutes } from '../../src/api/policy/enforcement.js';
import { ROUTE_POLICIES } from '../../src/api/policy/route-policies.js';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { TestService } from '../helpers/service.js';
import { FakeTokens } from '../helpers/tokens.js';

const AUTH_FAULT = {
  faultcode: 'Client',
  faultstring: 'The request you have made requires authentication.',
  debuginfo: null,
};
const POLICY_FAULT = {
  faultcode: 'Client',
  faultstring: 'Policy does not allow this request to be performed.',
  debuginfo: null,
};
const KEYSTONE = { api: { port: 0, authStrategy: 'keystone' } };
const VIP = { vip_subnet_id: '11111111-2222-3333-4444-555555555555' };

/** Every guarded route with its parameters filled in by unknown ids. */
const ROUTES = [...ROUTE_POLICIES].map(([key, policy]) => {
  const [method, pattern] = key.split(' ') as [string, string];
  const path = pattern.replace(/:provider/, 'amphora').replace(/:[A-Za-z_]+/g, () => randomUUID());
  return { method, path, target: policy.target };
});

const bodyFor = (method: string) => (method === 'POST' || method === 'PUT' ? {} : undefined);

describe('authentication (keystone mode)', () => {
  let svc: TestService;
  const tokens = new FakeTokens();
  const as = (token: string | undefined, method: string, path: string, body?: unknown) =>
    svc.request(method, path, body, token === undefined ? {} : { 'x-auth-token': token });

  before(async () => {
    svc = await TestService.start(KEYSTONE, { tokens });
  });
  after(() => svc.stop());

  it('names the policy of every registered route', () => {
    assert.deepEqual(unguardedRoutes(svc.node.api!), []);
  });

  it('answers the version documents without a token', async () => {
    for (const path of ['/', '/v2', '/v2.0']) assert.equal((await as(undefined, 'GET', path)).status, 200, path);
  });

  it('refuses every route, and unknown paths, without a token or with an unknown one (401), changing nothing', async () => {
    const before = await takeDbSnapshot(svc.node.db);
    for (const { method, path } of [...ROUTES, { method: 'GET', path: '/v2/lbaas/no-such-thing' }]) {
      for (const token of [undefined, 'not-a-token']) {
        const res = await as(token, method, path, bodyFor(method));
        assert.equal(res.status, 401, `${method} ${path} token=${token}`);
        assert.deepEqual(res.body, AUTH_FAULT, `${method} ${path}`);
      }
    }
    // Even a valid create body goes nowhere without a token.
    assert.equal((await as(undefined, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP })).status, 401);
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'unauthenticated requests');
  });

  it('ignores X-Project-Id in keystone mode: the project comes from the token only', async () => {
    const res = await svc.request('GET', '/v2/lbaas/loadbalancers', undefined, { 'x-project-id': 'project-a' });
    assert.equal(res.status, 401);
  });

  it('refuses a revoked token and an expired one', async () => {
    const token = tokens.issue({ projectId: 'p1', roles: ['member', 'reader'] });
    assert.equal((await as(token, 'GET', '/v2/lbaas/loadbalancers')).status, 200);
    tokens.revoke(token);
    assert.deepEqual((await as(token, 'GET', '/v2/lbaas/loadbalancers')).body, AUTH_FAULT);

    // The API checks the expiry itself, even when a validator hands back an expired context.
    tokens.checkExpiry = false;
    try {
      const expired = tokens.issue({ projectId: 'p1', roles: ['admin'], expiresAt: new Date(Date.now() - 1000) });
      const res = await as(expired, 'GET', '/v2/lbaas/loadbalancers');
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, AUTH_FAULT);
    } finally {
      tokens.checkExpiry = true;
    }
  });

  it('validates the token once per request', async () => {
    const token = tokens.issue({ projectId: 'p1', roles: ['member', 'reader'] });
    const before = tokens.validations;
    await as(token, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP });
    await as(token, 'GET', '/v2/lbaas/loadbalancers');
    assert.equal(tokens.validations - before, 2);
    await svc.settle();
  });

  it('answers 503 when the identity service cannot validate the token', async () => {
    const token = tokens.issue({ projectId: 'p1', roles: ['admin'] });
    tokens.failing = true;
    try {
      const res = await as(token, 'GET', '/v2/lbaas/loadbalancers');
      assert.equal(res.status, 503);
      assert.equal(res.body.faultcode, 'Server');
    } finally {
      tokens.failing = false;
    }
  });

  it('refuses a valid token without roles on every route (403, or 404 for unknown ids), changing nothing', async () => {
    const token = tokens.issue({ projectId: 'p-none', roles: [] });
    const before = await takeDbSnapshot(svc.node.db);
    for (const { method, path, target } of ROUTES) {
      const res = await as(token, method, path, bodyFor(method));
      // As Octavia, an object route reads the body and looks the object up first: an invalid body is 400 and
      // an unknown id 404 for everyone; the rest is the policy's 403.
      if (target === 'object') assert.ok([400, 403, 404].includes(res.status), `${method} ${path}: ${res.status}`);
      else {
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.deepEqual(res.body, POLICY_FAULT, `${method} ${path}`);
      }
    }
    const create = await as(token, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP });
    assert.equal(create.status, 403);
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'requests of a caller without roles');
    // An unknown path stays a 404 for an authenticated caller.
    assert.equal((await as(token, 'GET', '/v2/lbaas/no-such-thing')).status, 404);
  });

  it('refuses an unscoped token (no project) on project routes with 403, not 401', async () => {
    const token = tokens.issue({ projectId: undefined, roles: ['member', 'reader'] });
    for (const path of ['/v2/lbaas/loadbalancers', '/v2/lbaas/quotas', '/v2/lbaas/flavors', '/v2/lbaas/providers']) {
      const res = await as(token, 'GET', path);
      assert.equal(res.status, 403, path);
    }
    const create = await as(token, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, project_id: 'p1' } });
    assert.equal(create.status, 403);
  });
});

describe('authentication without a token validator (keystone mode)', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start(KEYSTONE);
  });
  after(() => svc.stop());

  it('fails closed: 401 for any token, never noauth', async () => {
    for (const headers of [{}, { 'x-auth-token': 'anything' }] as Array<Record<string, string>>) {
      const res = await svc.request('GET', '/v2/lbaas/loadbalancers', undefined, headers);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, AUTH_FAULT);
    }
    assert.equal((await svc.request('GET', '/v2')).status, 200);
  });
});
