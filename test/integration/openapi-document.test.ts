import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findDocumentProblems, resolveRef } from '../../src/api/openapi/document-check.js';
import { TestService } from '../helpers/service.js';

/**
 * GET /openapi.json on a real node: the document lists exactly the routes Fastify has, says what the
 * validators accept, and answers with the codes the routes really use. Needs `openApiRoutes(app)` wired
 * into `buildApi` before the route modules.
 */

type Doc = Record<string, any>;
const SUBNET = '11111111-2222-3333-4444-555555555555';
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Every (method, url) pair of Fastify's own route table, read from `printRoutes` (HEAD twins left out). */
function fastifyRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: Array<{ depth: number; path: string }> = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)(?:[├└]── )?(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m || m[2] === undefined) continue;
    const depth = m[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.path ?? '') + m[2];
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(', ').filter((x) => METHODS.includes(x))) {
      // `/:id|:policyId` is one node carrying routes whose parameter names differ.
      out.push(`${method} ${path.replace(/:([A-Za-z_]+)(\|:[A-Za-z_]+)+/g, ':$1')}`);
    }
  }
  return out;
}

/** The document's operations as `METHOD /fastify/:style` keys with the parameters renamed to `*`. */
const shape = (key: string) => key.replace(/[:{][A-Za-z_]+}?/g, '*');

describe('OpenAPI document', () => {
  let svc: TestService;
  let doc: Doc;
  const ops = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
  const opOf = (method: string, path: string) => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is documented`);
    return op;
  };
  const successOf = (method: string, path: string) =>
    Object.keys(opOf(method, path).responses)
      .filter((code) => /^2\d\d$/.test(code))
      .map(Number);

  before(async () => {
    svc = await TestService.start();
    const res = await fetch(`${svc.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = (await res.json()) as Doc;
  });
  after(async () => {
    await svc.stop();
  });

  test('is served without a token, at /openapi.json and /openapi, the same document', async () => {
    const plain = await fetch(`${svc.url}/openapi`);
    assert.equal(plain.status, 200);
    assert.deepEqual(await plain.json(), doc);
    assert.equal(doc.openapi, '3.1.0');
  });

  test('needs no token when the API asks for one everywhere else', async () => {
    const guarded = await TestService.start({ api: { port: 0, authStrategy: 'keystone' } });
    try {
      const res = await guarded.get('/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.1.0');
      // The 401 the document promises on every other route is real.
      assert.equal((await guarded.get('/v2/lbaas/loadbalancers')).status, 401);
      assert.ok(opOf('GET', '/v2/lbaas/loadbalancers').responses['401']);
      assert.equal(opOf('GET', '/').security.length, 0);
    } finally {
      await guarded.stop();
    }
  });

  test('is structurally valid: every $ref resolves, every path parameter is declared', () => {
    assert.deepEqual(findDocumentProblems(doc), []);
  });

  test("lists exactly Fastify's routes, each one known to the catalog", () => {
    const fromFastify = fastifyRoutes(svc.node.api!.printRoutes({ commonPrefix: false }))
      .filter((key) => key !== 'GET /openapi')
      .map(shape)
      .sort();
    const fromDoc = ops()
      .map(({ method, path }) => shape(`${method} ${path}`))
      .sort();
    assert.ok(fromFastify.length > 60, `read ${fromFastify.length} routes from printRoutes`);
    assert.deepEqual(fromDoc, fromFastify);
    for (const { method, path, op } of ops()) {
      assert.equal(op['x-undocumented'], undefined, `${method} ${path} is in the catalog`);
      assert.ok(svc.node.api!.hasRoute({ method, url: path.replace(/\{([^}]+)\}/g, ':$1') }), `${method} ${path}`);
    }
    assert.ok(!doc.tags.some((t: { name: string }) => t.name === 'Other'));
  });

  test('POST loadbalancers takes {"loadbalancer": {...}} with the VIP fields and embedded children', () => {
    const schema = opOf('POST', '/v2/lbaas/loadbalancers').requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required, ['loadbalancer']);
    const lb = schema.properties.loadbalancer;
    for (const field of ['vip_subnet_id', 'vip_network_id', 'vip_port_id', 'vip_address', 'name', 'flavor_id'])
      assert.ok(lb.properties[field], field);
    assert.deepEqual(lb.properties.vip_subnet_id, { type: ['string', 'null'], format: 'uuid' });
    assert.equal(lb.additionalProperties, false);
    const listener = resolveRef(doc, lb.properties.listeners.items.$ref) as Doc;
    assert.deepEqual(listener.required?.sort(), ['protocol', 'protocol_port']);
    const put = opOf('PUT', '/v2/lbaas/loadbalancers/{id}').requestBody.content['application/json'].schema;
    assert.equal(put.properties.loadbalancer.properties.vip_subnet_id, undefined, 'the VIP is create-only');
  });

  test('every collection GET takes the list parameters', () => {
    for (const { method, path, op } of ops()) {
      if (method !== 'GET' || !/\/(loadbalancers|listeners|pools|members|healthmonitors|l7policies|rules)$/.test(path))
        continue;
      const names = (op.parameters as Doc[]).map((p) => (p.$ref ? (resolveRef(doc, p.$ref) as Doc).name : p.name));
      for (const name of ['limit', 'marker', 'page_reverse', 'sort', 'fields', 'tags', 'id', 'project_id'])
        assert.ok(names.includes(name), `${path} ${name}`);
    }
  });

  test('answers with the codes the document gives, and refuses what the document leaves out', async () => {
    const call = async (method: string, path: string, url: string, body?: unknown) => {
      const res = await svc.request(method, url, body);
      assert.deepEqual(successOf(method, path), [res.status], `${method} ${url}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const lb = (
      await call('POST', '/v2/lbaas/loadbalancers', '/v2/lbaas/loadbalancers', {
        loadbalancer: { vip_subnet_id: SUBNET },
      })
    ).loadbalancer;
    await svc.settle();
    const listener = (
      await call('POST', '/v2/lbaas/listeners', '/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 },
      })
    ).listener;
    await svc.settle();
    const pool = (
      await call('POST', '/v2/lbaas/pools', '/v2/lbaas/pools', {
        pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
      })
    ).pool;
    await svc.settle();
    await call('PUT', '/v2/lbaas/pools/{pool_id}/members', `/v2/lbaas/pools/${pool.id}/members`, {
      members: [{ address: '10.0.0.5', protocol_port: 80 }],
    });
    await svc.settle();
    await call('GET', '/v2/lbaas/loadbalancers/{id}/status', `/v2/lbaas/loadbalancers/${lb.id}/status`);
    await call('PUT', '/v2/lbaas/quotas/{project_id}', '/v2/lbaas/quotas/project-a', { quota: { pool: 10 } });
    await call('DELETE', '/v2/lbaas/quotas/{project_id}', '/v2/lbaas/quotas/project-a');
    await call('DELETE', '/v2/lbaas/loadbalancers/{id}', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
    await svc.settle();

    // Every documented property of a create body is one the validator knows: a body naming them all
    // (as null) plus one unknown attribute is refused for that one attribute alone.
    let probed = 0;
    for (const { method, path, op } of ops()) {
      if (method !== 'POST' || path.includes('{')) continue;
      const schema = op.requestBody?.content['application/json'].schema;
      if (!schema) continue;
      const [root] = schema.required as string[];
      const inner = Object.fromEntries(Object.keys(schema.properties[root!].properties).map((k) => [k, null]));
      const res = await svc.post(path, { [root!]: { ...inner, zz_not_a_field: 1 } });
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.faultstring, /^Unknown attribute for argument \S+: zz_not_a_field$/, path);
      probed++;
    }
    assert.ok(probed >= 8, `probed ${probed} create bodies`);
  });
});
