import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/database.js';
import { createLocalTokenValidator } from '../../src/identity/local-token-validator.js';
import { issueToken, TestIdentity } from '../helpers/identity.js';

const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

function passwordAuth(user: object, scope?: unknown) {
  return {
    auth: { identity: { methods: ['password'], password: { user } }, ...(scope === undefined ? {} : { scope }) },
  };
}

describe('identity: discovery and tokens', () => {
  let id: TestIdentity;
  let adminPassword: string;
  let demoPassword: string;
  before(async () => {
    id = await TestIdentity.start();
    adminPassword = await id.password('admin');
    demoPassword = await id.password('demo');
  });
  after(() => id.stop());

  it('lists the v3 version at the root (300) and describes it at /v3 and /v3/', async () => {
    const root = await id.request('GET', '/');
    assert.equal(root.status, 300);
    const [version] = root.body.versions.values;
    assert.equal(version.id, 'v3.14');
    assert.equal(version.status, 'stable');
    assert.deepEqual(version.links, [{ rel: 'self', href: `${id.url}/v3/` }]);
    assert.equal(version['media-types'][0].type, 'application/vnd.openstack.identity-v3+json');
    for (const path of ['/v3', '/v3/']) {
      const res = await id.request('GET', path);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.version, version);
    }
    // Links follow the Host header the client used.
    const other = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${id.url}/v3`, { headers: { host: 'keystone.example:5000' } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    assert.equal(JSON.parse(other).version.links[0].href, 'http://keystone.example:5000/v3/');
  });

  it('issues a project-scoped token for a user named by name and domain id, with roles and the catalog', async () => {
    const res = await id.request('POST', '/v3/auth/tokens', {
      body: passwordAuth(
        { name: 'demo', domain: { id: 'default' }, password: demoPassword },
        { project: { name: 'demo', domain: { id: 'default' } } },
      ),
    });
    assert.equal(res.status, 201);
    const secret = res.headers.get('x-subject-token')!;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    const token = res.body.token;
    assert.deepEqual(token.methods, ['password']);
    assert.equal(token.user.name, 'demo');
    assert.deepEqual(token.user.domain, { id: 'default', name: 'Default' });
    assert.equal(token.user.password_expires_at, null);
    assert.equal(token.project.name, 'demo');
    assert.deepEqual(token.project.domain, { id: 'default', name: 'Default' });
    assert.equal(token.is_domain, false);
    // member implies reader: the token carries the implied role too.
    assert.deepEqual(token.roles.map((r: any) => r.name).sort(), ['load-balancer_member', 'member', 'reader']);
    assert.match(token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(token.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const ttl = Date.parse(token.expires_at) - Date.parse(token.issued_at);
    assert.ok(Math.abs(ttl - id.config.identity.tokenTtlSeconds * 1000) < 2000, `ttl ${ttl}`);
    assert.equal(token.audit_ids.length, 1);
    const types = token.catalog.map((s: any) => [s.type, s.name]);
    assert.deepEqual(types, [
      ['identity', 'keystone'],
      ['load-balancer', 'octavia'],
      ['network', 'neutron'],
    ]);
    for (const service of token.catalog) {
      assert.deepEqual(
        service.endpoints.map((e: any) => e.interface),
        ['public', 'internal', 'admin'],
      );
      for (const e of service.endpoints) {
        assert.equal(e.region, 'RegionOne');
        assert.equal(e.region_id, 'RegionOne');
        assert.match(e.id, /^[0-9a-f]{32}$/);
      }
    }
    assert.equal(token.catalog[0].endpoints[0].url, id.url);
    assert.equal(token.catalog[1].endpoints[0].url, 'http://127.0.0.1:9876');
    assert.equal(token.catalog[2].endpoints[0].url, 'http://127.0.0.1:9696');
  });

  it('authenticates a user by id, and by name with a domain name; ?nocatalog leaves the catalog out', async () => {
    const byName = await issueToken(id.url, 'admin', adminPassword, 'admin');
    const userId = byName.body.token.user.id;
    const projectId = byName.body.token.project.id;
    const byId = await id.request('POST', '/v3/auth/tokens?nocatalog', {
      body: passwordAuth({ id: userId, password: adminPassword }, { project: { id: projectId } }),
    });
    assert.equal(byId.status, 201);
    assert.equal(byId.body.token.user.id, userId);
    assert.equal(byId.body.token.catalog, undefined);
    assert.deepEqual(byId.body.token.roles.map((r: any) => r.name).sort(), ['admin', 'member', 'reader']);
    const byDomainName = await id.request('POST', '/v3/auth/tokens', {
      body: passwordAuth(
        { name: 'admin', domain: { name: 'Default' }, password: adminPassword },
        { project: { name: 'admin', domain: { name: 'Default' } } },
      ),
    });
    assert.equal(byDomainName.status, 201);
    assert.notEqual(byDomainName.headers.get('x-subject-token'), byName.token);
  });

  it('without a scope, scopes to the default project; "unscoped" gives a token without roles or catalog', async () => {
    const fallback = await id.request('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: demoPassword }),
    });
    assert.equal(fallback.status, 201);
    assert.equal(fallback.body.token.project.name, 'demo');
    const unscoped = await id.request('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: demoPassword }, 'unscoped'),
    });
    assert.equal(unscoped.status, 201);
    assert.equal(unscoped.body.token.project, undefined);
    assert.equal(unscoped.body.token.roles, undefined);
    assert.equal(unscoped.body.token.catalog, undefined);
    const validator = createLocalTokenValidator(id.db);
    const ctx = await validator.validate(unscoped.headers.get('x-subject-token')!);
    assert.equal(ctx?.userName, 'demo');
    assert.equal(ctx?.projectId, undefined);
    assert.deepEqual(ctx?.roles, []);
  });

  it('rescopes a token with the token method, keeping its expiry and audit chain', async () => {
    const unscoped = await id.request('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: demoPassword }, 'unscoped'),
    });
    const first = unscoped.headers.get('x-subject-token')!;
    const rescoped = await id.request('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: first } },
          scope: { project: { name: 'demo', domain: { id: 'default' } } },
        },
      },
    });
    assert.equal(rescoped.status, 201);
    const token = rescoped.body.token;
    assert.ok(token.methods.includes('token'));
    assert.equal(token.project.name, 'demo');
    assert.equal(token.expires_at, unscoped.body.token.expires_at);
    assert.deepEqual(token.audit_ids, [token.audit_ids[0], unscoped.body.token.audit_ids[0]]);
    // demo holds no role on the admin project: rescoping there is refused.
    const refused = await id.request('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: first } },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
    assert.equal(refused.status, 401);
    const bogus = await id.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: 'not-a-token' } } } },
    });
    assert.equal(bogus.status, 401);
  });

  it('answers the same 401 for a wrong password, an unknown user, a project without role, and writes no token', async () => {
    const countTokens = async () =>
      Number(
        (
          await id.db.kysely
            .selectFrom('identity_token')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await countTokens();
    const attempts = [
      passwordAuth(
        { name: 'demo', domain: { id: 'default' }, password: 'wrong' },
        { project: { name: 'demo', domain: { id: 'default' } } },
      ),
      passwordAuth(
        { name: 'nobody', domain: { id: 'default' }, password: 'x' },
        { project: { name: 'demo', domain: { id: 'default' } } },
      ),
      passwordAuth({ name: 'demo', domain: { id: 'nodomain' }, password: demoPassword }),
      passwordAuth({ id: 'no-such-id', password: 'x' }),
      passwordAuth(
        { name: 'demo', domain: { id: 'default' }, password: demoPassword },
        { project: { name: 'admin', domain: { id: 'default' } } },
      ),
      passwordAuth({ name: 'demo', domain: { id: 'default' }, password: demoPassword }, { project: { id: 'missing' } }),
      passwordAuth({ name: 'demo', domain: { id: 'default' }, password: demoPassword }, { domain: { id: 'default' } }),
    ];
    for (const body of attempts) {
      const res = await id.request('POST', '/v3/auth/tokens', { body });
      assert.equal(res.status, 401, JSON.stringify(body));
      assert.deepEqual(res.body, UNAUTHORIZED);
      assert.equal(res.headers.get('x-subject-token'), null);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
    assert.equal(await countTokens(), before);
  });

  it('answers 400 in the error format for malformed bodies', async () => {
    for (const body of [
      '{not json',
      '[]',
      '{"auth": {}}',
      JSON.stringify(passwordAuth({ name: 'demo', password: 'x' })),
    ]) {
      const res = await id.request('POST', '/v3/auth/tokens', { body });
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error.code, 400);
      assert.equal(res.body.error.title, 'Bad Request');
    }
  });

  it('validates with GET and HEAD, revokes with DELETE, and a second process sees the revocation', async () => {
    const admin = await issueToken(id.url, 'admin', adminPassword, 'admin');
    const demo = await issueToken(id.url, 'demo', demoPassword, 'demo');
    const other = openDatabase(id.config.database.url, id.config.dataDir);
    try {
      const here = createLocalTokenValidator(id.db);
      const there = createLocalTokenValidator(other);
      const seen = await there.validate(demo.token);
      assert.equal(seen?.userName, 'demo');
      assert.equal(seen?.projectName, 'demo');
      assert.deepEqual(seen?.roles.sort(), ['load-balancer_member', 'member', 'reader']);
      assert.ok(seen!.expiresAt.getTime() > Date.now());

      // The user checks their own token; the admin checks anyone's.
      const own = await id.request('GET', '/v3/auth/tokens', {
        token: demo.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(own.status, 200);
      assert.equal(own.headers.get('x-subject-token'), demo.token);
      assert.equal(own.body.token.user.name, 'demo');
      assert.equal(own.body.token.catalog.length, 3);
      const head = await id.request('HEAD', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(head.status, 200);
      // demo may not look at the admin's token; a bad caller is a 401.
      const peek = await id.request('GET', '/v3/auth/tokens', {
        token: demo.token,
        headers: { 'x-subject-token': admin.token },
      });
      assert.equal(peek.status, 403);
      assert.equal(peek.body.error.title, 'Forbidden');
      const badCaller = await id.request('GET', '/v3/auth/tokens', {
        token: 'garbage',
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(badCaller.status, 401);
      const noSubject = await id.request('GET', '/v3/auth/tokens', { token: admin.token });
      assert.equal(noSubject.status, 400);
      const peekDelete = await id.request('DELETE', '/v3/auth/tokens', {
        token: demo.token,
        headers: { 'x-subject-token': admin.token },
      });
      assert.equal(peekDelete.status, 403);
      assert.ok(await here.validate(admin.token), 'a refused revocation changed nothing');

      const revoke = await id.request('DELETE', '/v3/auth/tokens', {
        token: demo.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(revoke.status, 204);
      // This process refuses it at once; another process (its own connection, its own cache) within its cache time.
      assert.equal(await here.validate(demo.token), undefined);
      const deadline = Date.now() + 3000;
      while ((await there.validate(demo.token)) !== undefined) {
        assert.ok(Date.now() < deadline, 'the other process still accepts the revoked token');
        await new Promise((r) => setTimeout(r, 100));
      }
      const gone = await id.request('GET', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, {
        error: { code: 404, title: 'Not Found', message: `Could not find token: ${demo.token}.` },
      });
      const headGone = await id.request('HEAD', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(headGone.status, 404);
      const again = await id.request('DELETE', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'x-subject-token': demo.token },
      });
      assert.equal(again.status, 404);
      // The stored row holds the hash, never the token.
      const rows = await id.db.kysely.selectFrom('identity_token').selectAll().execute();
      assert.ok(rows.every((r) => r.token_hash !== demo.token && /^[0-9a-f]{64}$/.test(r.token_hash)));
    } finally {
      await other.close();
    }
  });

  it('serves the caller catalog and projects', async () => {
    const demo = await issueToken(id.url, 'demo', demoPassword, 'demo');
    const catalog = await id.request('GET', '/v3/auth/catalog', { token: demo.token });
    assert.equal(catalog.status, 200);
    assert.deepEqual(catalog.body.catalog, demo.body.token.catalog);
    const projects = await id.request('GET', '/v3/auth/projects', { token: demo.token });
    assert.equal(projects.status, 200);
    assert.deepEqual(
      projects.body.projects.map((p: any) => p.name),
      ['demo'],
    );
    assert.equal(projects.body.links.next, null);
    assert.equal((await id.request('GET', '/v3/auth/catalog')).status, 401);
  });
});
