import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { ResourceDoc } from '../../src/api/openapi/api-catalog.js';
import { buildOpenApiDocument } from '../../src/api/openapi/document.js';
import { findDocumentProblems, resolveRef } from '../../src/api/openapi/document-check.js';
import { openApiRoutes } from '../../src/api/openapi/openapi-routes.js';
import { openApiPath, pathParameterNames, pathShape } from '../../src/api/openapi/route-table.js';
import { int, required, str, uuid } from '../../src/api/validation/fields.js';

/** A tiny catalog: one resource family with a nested collection. */
const WIDGETS: ResourceDoc = {
  tag: 'Widgets',
  description: 'Test widgets.',
  noun: ['widget', 'widgets'],
  collection: '/v2/widgets',
  singular: 'widget',
  plural: 'widgets',
  linksKey: 'widgets_links',
  filters: { columns: { name: 'name', size: 'size', enabled: 'enabled' }, kinds: { size: 'int', enabled: 'bool' } },
  paged: true,
  create: { name: required(str(64)), size: int(1, 10), owner_id: uuid() },
  update: { name: str(64) },
  actions: { 'PUT /*/polish': { summary: 'Polish a widget', status: 202 } },
};

async function tinyApp() {
  const app = Fastify();
  await openApiRoutes(app, { resources: [WIDGETS], title: 'Widgets', version: '1' });
  app.get('/v2/widgets', async () => ({ widgets: [] }));
  app.post('/v2/widgets', async (_req, reply) => reply.code(201).send({ widget: {} }));
  app.put('/v2/widgets/:widget_id/polish', async (_req, reply) => reply.code(202).send());
  app.get('/v2/gadgets/:gadget_id', async () => ({}));
  return app;
}

test('path helpers turn Fastify URLs into OpenAPI templates and shapes', () => {
  assert.equal(openApiPath('/v2/pools/:pool_id/members/:member_id'), '/v2/pools/{pool_id}/members/{member_id}');
  assert.deepEqual(pathParameterNames('/v2/pools/:pool_id/members/:member_id'), ['pool_id', 'member_id']);
  assert.equal(pathShape('/v2/l7policies/:policyId/rules/:ruleId'), '/v2/l7policies/*/rules/*');
  assert.equal(openApiPath('/a/:id(^\\d+)'), '/a/{id}');
});

test('a small app is documented from its routes: paths, methods, params, bodies and codes', async () => {
  const app = await tinyApp();
  const res = await app.inject({ method: 'GET', url: '/openapi' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.title, 'Widgets');
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/v2/gadgets/{gadget_id}',
    '/v2/widgets',
    '/v2/widgets/{widget_id}/polish',
  ]);
  // The document's own route and Fastify's HEAD twins are not listed.
  assert.deepEqual(Object.keys(doc.paths['/v2/widgets']).sort(), ['get', 'post']);

  const list = doc.paths['/v2/widgets'].get;
  assert.deepEqual(list.tags, ['Widgets']);
  assert.ok(list.responses['200']);
  const params = list.parameters.map((p: { $ref?: string }) => (p.$ref ? resolveRef(doc, p.$ref) : p));
  const byName = new Map(params.map((p: { name: string }) => [p.name, p]));
  for (const name of ['limit', 'marker', 'page_reverse', 'sort', 'fields', 'name', 'size', 'enabled'])
    assert.ok(byName.has(name), `list parameter ${name}`);
  assert.deepEqual((byName.get('size') as { schema: unknown }).schema, { type: 'integer' });
  assert.deepEqual((byName.get('enabled') as { schema: unknown }).schema, { type: 'boolean' });
  assert.equal(byName.has('tags'), false, 'an untagged resource has no tag filters');
  const listSchema = list.responses['200'].content['application/json'].schema;
  assert.deepEqual(Object.keys(listSchema.properties), ['widgets', 'widgets_links']);

  const create = doc.paths['/v2/widgets'].post;
  assert.ok(create.responses['201'], 'a create answers 201');
  assert.equal(create.responses['200'], undefined);
  const body = create.requestBody.content['application/json'].schema;
  assert.deepEqual(body.required, ['widget']);
  assert.deepEqual(body.properties.widget.required, ['name']);
  assert.deepEqual(Object.keys(body.properties.widget.properties), ['name', 'size', 'owner_id']);
  assert.deepEqual(body.properties.widget.properties.size, { type: ['integer', 'null'], minimum: 1, maximum: 10 });
  assert.equal(resolveRef(doc, create.responses['400'].$ref) !== undefined, true);
  assert.ok(create.responses['409'], 'a write may conflict');

  const polish = doc.paths['/v2/widgets/{widget_id}/polish'].put;
  assert.ok(polish.responses['202']);
  assert.equal(polish.requestBody, undefined);
  assert.deepEqual(polish.parameters, [{ name: 'widget_id', in: 'path', required: true, schema: { type: 'string' } }]);
  assert.ok(polish.responses['404']);
  assert.equal(polish['x-undocumented'], undefined);

  // A route no catalog entry knows is still listed, and flagged.
  const gadget = doc.paths['/v2/gadgets/{gadget_id}'].get;
  assert.equal(gadget['x-undocumented'], true);
  assert.deepEqual(gadget.tags, ['Other']);

  assert.deepEqual(findDocumentProblems(doc), []);
  await app.close();
});

test('faults, the token scheme and the public version routes', async () => {
  const app = Fastify();
  await openApiRoutes(app, { resources: [WIDGETS] });
  app.get('/', async () => ({ versions: [] }));
  app.delete('/v2/widgets/:id', async (_req, reply) => reply.code(204).send());
  const doc = (await app.inject({ method: 'GET', url: '/openapi' })).json();
  assert.deepEqual(doc.components.securitySchemes.keystone, {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: doc.components.securitySchemes.keystone.description,
  });
  assert.deepEqual(doc.security, [{ keystone: [] }]);
  assert.deepEqual(doc.components.schemas.Fault.required, ['faultcode', 'faultstring', 'debuginfo']);
  assert.deepEqual(doc.paths['/'].get.security, [], 'version discovery needs no token');
  const del = doc.paths['/v2/widgets/{id}'].delete;
  assert.equal(del.security, undefined);
  assert.ok(del.responses['204']);
  assert.equal(del.responses['204'].content, undefined, '204 has no body');
  assert.equal(resolveRef(doc, del.responses['401'].$ref) !== undefined, true);
  assert.deepEqual(findDocumentProblems(doc), []);
  await app.close();
});

test('the structural check finds dangling refs, undeclared path parameters and duplicate ids', () => {
  const doc = buildOpenApiDocument([{ method: 'GET', url: '/v2/widgets/:id' }], { resources: [WIDGETS] });
  assert.deepEqual(findDocumentProblems(doc), []);
  const broken = structuredClone(doc) as any;
  broken.paths['/v2/widgets/{id}'].get.parameters = [];
  broken.paths['/v2/widgets/{id}'].get.responses['400'] = { $ref: '#/components/responses/Nope' };
  broken.paths['/v2/other'] = { get: { operationId: broken.paths['/v2/widgets/{id}'].get.operationId, responses: {} } };
  const problems = findDocumentProblems(broken);
  assert.ok(problems.some((p) => p.includes('unresolved $ref #/components/responses/Nope')));
  assert.ok(problems.some((p) => p.includes('path parameter id not declared')));
  assert.ok(problems.some((p) => p.includes('duplicate operationId')));
  assert.ok(problems.some((p) => p.includes('GET /v2/other: no responses')));
});
