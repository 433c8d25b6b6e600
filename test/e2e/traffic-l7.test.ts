import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  change,
  createTrafficLoadBalancer,
  freePorts,
  HttpBackend,
  httpGet,
  memberOf,
  type Endpoint,
  type TrafficLoadBalancer,
} from '../helpers/traffic.js';

/**
 * L7 policies and inserted headers through one real HAProxy: one HTTP listener whose default pool is
 * member `web`, with policies sending requests to pools `api` and `static`, redirecting and rejecting.
 */

const [A, B, C] = BACKEND_ADDRESSES;

const rule = (type: string, compare_type: string, value: string, extra: object = {}) => ({
  type,
  compare_type,
  value,
  ...extra,
});
const toPool = (name: string, rules: object[], extra: object = {}) => ({
  name,
  action: 'REDIRECT_TO_POOL',
  redirect_pool: { name },
  rules,
  ...extra,
});

describe('traffic: L7 policies and inserted headers', () => {
  let svc: TestService | undefined;
  let lb: TrafficLoadBalancer;
  let web: Endpoint;
  const backends: HttpBackend[] = [];

  /** What answered GET path: the member's name, or `<status> <location>` for a redirect or a refusal. */
  const outcome = async (path: string, headers: Record<string, string> = {}) => {
    const res = await httpGet(web, path, { headers });
    if (res.status === 200) return res.body;
    return res.headers.location === undefined ? String(res.status) : `${res.status} ${res.headers.location}`;
  };
  const policyId = async (name: string): Promise<string> => {
    const res = await svc!.get(`/v2/lbaas/l7policies?listener_id=${lb.listeners.web!.id}&name=${name}`);
    assert.equal(res.body.l7policies.length, 1, name);
    return res.body.l7policies[0].id;
  };

  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'process', network: 'loopback', amphora: 'rest' } });
    const [a, b, c] = await Promise.all([
      HttpBackend.start('web', A),
      HttpBackend.start('api', B),
      HttpBackend.start('static', C),
    ]);
    backends.push(a!, b!, c!);
    const [port] = await freePorts(1);
    const pool = (backend: HttpBackend) => ({
      name: backend.name,
      protocol: 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      members: [memberOf(backend)],
    });
    lb = await createTrafficLoadBalancer(svc, {
      name: 'l7',
      pools: [pool(b!), pool(c!)],
      listeners: [
        {
          name: 'web',
          protocol: 'HTTP',
          protocol_port: port,
          insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
          default_pool: pool(a!),
          l7policies: [
            {
              name: 'moved',
              action: 'REDIRECT_TO_URL',
              redirect_url: 'https://moved.example.com/new',
              redirect_http_code: 301,
              rules: [rule('PATH', 'STARTS_WITH', '/old')],
            },
            // Listed after `moved`, but a REJECT takes precedence over every redirect (Octavia's order).
            { name: 'blocked', action: 'REJECT', rules: [rule('HEADER', 'EQUAL_TO', 'yes', { key: 'X-Block' })] },
            {
              name: 'found',
              action: 'REDIRECT_TO_URL',
              redirect_url: 'https://example.com/found',
              rules: [rule('PATH', 'EQUAL_TO', '/r302')],
            },
            {
              name: 'see-other',
              action: 'REDIRECT_TO_URL',
              redirect_url: 'https://example.com/other',
              redirect_http_code: 303,
              rules: [rule('PATH', 'EQUAL_TO', '/r303')],
            },
            {
              name: 'temporary',
              action: 'REDIRECT_PREFIX',
              redirect_prefix: 'https://prefix.example.com',
              redirect_http_code: 307,
              rules: [rule('PATH', 'STARTS_WITH', '/r307')],
            },
            {
              name: 'legacy-host',
              action: 'REDIRECT_PREFIX',
              redirect_prefix: 'https://modern.example.com',
              redirect_http_code: 308,
              rules: [rule('HOST_NAME', 'EQUAL_TO', 'legacy.example.com')],
            },
            toPool('api', [rule('PATH', 'STARTS_WITH', '/api')]),
            toPool('static', [rule('HOST_NAME', 'EQUAL_TO', 'static.example.com')]),
            // Gold customers go to `static`, except on /public (an inverted rule ANDed with the cookie).
            toPool('static', [
              rule('COOKIE', 'EQUAL_TO', 'gold', { key: 'tier' }),
              rule('PATH', 'STARTS_WITH', '/public', { invert: true }),
            ]),
            toPool('api', [rule('HEADER', 'STARTS_WITH', 'v2', { key: 'X-Version' })]),
            toPool('static', [rule('FILE_TYPE', 'EQUAL_TO', 'png')]),
            {
              name: 'admin-only',
              action: 'REJECT',
              rules: [
                rule('PATH', 'STARTS_WITH', '/admin'),
                rule('HEADER', 'EQUAL_TO', 'letmein', { key: 'X-Admin', invert: true }),
              ],
            },
            toPool('api', [rule('PATH', 'STARTS_WITH', '/order')], { name: 'order-api' }),
            toPool('static', [rule('PATH', 'STARTS_WITH', '/order')], { name: 'order-static' }),
          ],
        },
      ],
    });
    web = lb.listeners.web!.endpoint;
  });

  after(async () => {
    await svc?.stop();
    await Promise.all(backends.map((x) => x.stop()));
  });

  it('requests no policy matches go to the default pool', async () => {
    assert.equal(await outcome('/'), 'web');
    assert.equal(await outcome('/public/x', { cookie: 'tier=silver' }), 'web');
  });

  it('REDIRECT_TO_POOL by PATH, HOST_NAME, HEADER, COOKIE (with an inverted rule) and FILE_TYPE', async () => {
    assert.equal(await outcome('/api/v1/items'), 'api');
    assert.equal(await outcome('/apix'), 'api', 'STARTS_WITH is a plain prefix');
    assert.equal(await outcome('/', { host: 'static.example.com' }), 'static');
    assert.equal(await outcome('/', { host: 'STATIC.Example.com' }), 'static', 'host names compare without case');
    assert.equal(await outcome('/', { host: 'static.example.com.evil' }), 'web', 'EQUAL_TO is not a prefix');
    assert.equal(await outcome('/x', { 'x-version': 'v2.1' }), 'api');
    assert.equal(await outcome('/x', { 'x-version': 'v1' }), 'web');
    assert.equal(await outcome('/x', { cookie: 'a=1; tier=gold' }), 'static');
    assert.equal(await outcome('/public/x', { cookie: 'tier=gold' }), 'web', 'the inverted rule excludes /public');
    assert.equal(await outcome('/img/logo.png'), 'static');
  });

  it('REDIRECT_TO_URL and REDIRECT_PREFIX answer with their redirect_http_code and Location', async () => {
    assert.equal(await outcome('/old/page'), '301 https://moved.example.com/new');
    assert.equal(await outcome('/r302'), '302 https://example.com/found', '302 when no code is given');
    assert.equal(await outcome('/r303'), '303 https://example.com/other');
    assert.equal(await outcome('/r307/a?b=1'), '307 https://prefix.example.com/r307/a?b=1');
    assert.equal(await outcome('/x/y?q=1', { host: 'legacy.example.com' }), '308 https://modern.example.com/x/y?q=1');
  });

  it('REJECT answers 403, takes precedence over redirects, and honours an inverted rule', async () => {
    assert.equal(await outcome('/', { 'x-block': 'yes' }), '403');
    assert.equal(await outcome('/old/page', { 'x-block': 'yes' }), '403');
    assert.equal(await outcome('/', { 'x-block': 'no' }), 'web');
    assert.equal(await outcome('/admin/panel'), '403');
    assert.equal(await outcome('/admin/panel', { 'x-admin': 'letmein' }), 'web');
  });

  it('the first matching pool redirect by position wins; moving a policy changes the winner', async () => {
    assert.equal(await outcome('/order/1'), 'api');
    await change(svc!, 'PUT', `/v2/lbaas/l7policies/${await policyId('order-static')}`, { l7policy: { position: 1 } });
    assert.equal(await outcome('/order/1'), 'static');
  });

  it('a disabled policy no longer acts', async () => {
    const blocked = await policyId('blocked');
    await change(svc!, 'PUT', `/v2/lbaas/l7policies/${blocked}`, { l7policy: { admin_state_up: false } });
    assert.equal(await outcome('/', { 'x-block': 'yes' }), 'web');
  });

  it('insert_headers X-Forwarded-For/-Port/-Proto reach the member; a listener PUT takes them away', async () => {
    const seen = async () => {
      const res = await httpGet(web, '/headers', { localAddress: '127.0.0.9' });
      assert.equal(res.status, 200, res.body);
      return (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    };
    const headers = await seen();
    assert.equal(headers['x-forwarded-for'], '127.0.0.9');
    assert.equal(headers['x-forwarded-port'], String(web.port));
    assert.equal(headers['x-forwarded-proto'], 'http');
    await change(svc!, 'PUT', `/v2/lbaas/listeners/${lb.listeners.web!.id}`, {
      listener: { insert_headers: { 'X-Forwarded-For': 'true' } },
    });
    const fewer = await seen();
    assert.equal(fewer['x-forwarded-for'], '127.0.0.9');
    assert.equal(fewer['x-forwarded-port'], undefined);
    assert.equal(fewer['x-forwarded-proto'], undefined);
  });
});
