import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createExternalTokenValidator } from '../../src/identity/external-token-validator.js';
import { issueToken, TestIdentity } from '../helpers/identity.js';

describe('identity: external Keystone validator', () => {
  let keystone: TestIdentity;
  before(async () => {
    keystone = await TestIdentity.start();
  });
  after(() => keystone.stop());

  it('validates a token with the external service: who, which project, which roles', async () => {
    const demo = await issueToken(keystone.url, 'demo', await keystone.password('demo'), 'demo');
    const validator = createExternalTokenValidator(`${keystone.url}/v3/`);
    const ctx = await validator.validate(demo.token);
    assert.ok(ctx);
    assert.equal(ctx.userName, 'demo');
    assert.equal(ctx.userId, demo.body.token.user.id);
    assert.equal(ctx.userDomainId, 'default');
    assert.equal(ctx.projectId, demo.body.token.project.id);
    assert.equal(ctx.projectName, 'demo');
    assert.equal(ctx.projectDomainId, 'default');
    assert.deepEqual(ctx.roles.sort(), ['load-balancer_member', 'member', 'reader']);
    assert.equal(ctx.expiresAt.toISOString(), demo.body.token.expires_at.replace(/\d{3}Z$/, 'Z'));
    assert.equal(await validator.validate('not-a-token'), undefined);
    assert.equal(await validator.validate(''), undefined);
  });

  it('refuses a token revoked at the external service (after its short cache)', async () => {
    const admin = await issueToken(keystone.url, 'admin', await keystone.password('admin'), 'admin');
    const validator = createExternalTokenValidator(`${keystone.url}/v3`);
    assert.deepEqual((await validator.validate(admin.token))?.roles.sort(), ['admin', 'member', 'reader']);
    const revoke = await keystone.request('DELETE', '/v3/auth/tokens', {
      token: admin.token,
      headers: { 'x-subject-token': admin.token },
    });
    assert.equal(revoke.status, 204);
    const deadline = Date.now() + 3000;
    while ((await validator.validate(admin.token)) !== undefined) {
      assert.ok(Date.now() < deadline, 'still accepted 3 s after revocation');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await createExternalTokenValidator(`${keystone.url}/v3`).validate(admin.token), undefined);
  });

  it('throws, rather than calling the token bad, when the external service fails', async () => {
    const broken = createServer((_req, res) => res.writeHead(500).end('{}'));
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const port = (broken.address() as { port: number }).port;
    try {
      await assert.rejects(createExternalTokenValidator(`http://127.0.0.1:${port}/v3`).validate('x'), /answered 500/);
    } finally {
      await new Promise((r) => broken.close(r));
    }
    // Nobody listening there any more.
    await assert.rejects(createExternalTokenValidator(`http://127.0.0.1:${port}/v3`).validate('x'));
  });
});
