import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runClient } from '../../src/cli/client/index.js';

/**
 * The password and token flows against a fake Keystone (POST /v3/auth/tokens -> X-Subject-Token and a
 * catalog) and a fake load-balancer endpoint that records what it was sent.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

const identityCalls: Seen[] = [];
const lbCalls: Seen[] = [];
let identity: Server;
let loadBalancer: Server;
let identityUrl = '';
let lbUrl = '';
let withoutLoadBalancer = false;

const ISSUED = 'gAAAA-test-token';
const LB = {
  id: '3bcb63eb-e15b-44c0-9b3c-4af998181520',
  name: 'lb1',
  project_id: 'p1',
  vip_address: '127.0.0.9',
  provisioning_status: 'ACTIVE',
  operating_status: 'ONLINE',
  provider: 'amphora',
};

function readBody(req: IncomingMessage): Promise<any> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => resolve(text === '' ? undefined : JSON.parse(text)));
  });
}

function catalog() {
  const lbService = {
    type: 'load-balancer',
    name: 'octavia',
    endpoints: [
      { interface: 'public', region: 'RegionTwo', url: 'http://127.0.0.1:1/wrong-region' },
      { interface: 'public', region: 'RegionOne', url: lbUrl },
      { interface: 'internal', region: 'RegionOne', url: `${lbUrl}/internal` },
    ],
  };
  const identityService = {
    type: 'identity',
    name: 'keystone',
    endpoints: [{ interface: 'public', region: 'RegionOne', url: identityUrl }],
  };
  return withoutLoadBalancer ? [identityService] : [identityService, lbService];
}

before(async () => {
  identity = createServer(async (req, res) => {
    const body = await readBody(req);
    identityCalls.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const auth = body?.auth?.identity;
    const passwordOk = auth?.methods?.[0] === 'password' && auth.password?.user?.password === 'secret';
    const tokenOk = auth?.methods?.[0] === 'token' && auth.token?.id === 'existing-token';
    if (req.method !== 'POST' || req.url !== '/v3/auth/tokens' || !(passwordOk || tokenOk)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' },
        }),
      );
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': ISSUED });
    res.end(
      JSON.stringify({
        token: { methods: auth.methods, expires_at: '2099-01-01T00:00:00.000000Z', catalog: catalog() },
      }),
    );
  });
  loadBalancer = createServer(async (req, res) => {
    lbCalls.push({ method: req.method!, url: req.url!, headers: req.headers, body: await readBody(req) });
    if (req.headers['x-auth-token'] !== ISSUED) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ faultcode: 'Client', faultstring: 'Authentication required', debuginfo: null }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ loadbalancers: [LB], loadbalancers_links: [] }));
  });
  await new Promise<void>((r) => identity.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => loadBalancer.listen(0, '127.0.0.1', r));
  identityUrl = `http://127.0.0.1:${(identity.address() as AddressInfo).port}`;
  lbUrl = `http://127.0.0.1:${(loadBalancer.address() as AddressInfo).port}/load-balancer`;
});

after(async () => {
  await new Promise((r) => identity.close(r));
  await new Promise((r) => loadBalancer.close(r));
});

async function cli(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await runClient(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    isTTY: false,
  });
  return { code, out, err };
}

const passwordEnv = () => ({
  OS_AUTH_URL: identityUrl,
  OS_USERNAME: 'demo',
  OS_PASSWORD: 'secret',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_NAME: 'demo',
  OS_PROJECT_DOMAIN_ID: 'default',
  OS_REGION_NAME: 'RegionOne',
});

test('password auth: POST /v3/auth/tokens, the token from X-Subject-Token, the endpoint from the catalog', async () => {
  identityCalls.length = 0;
  lbCalls.length = 0;
  const r = await cli(['loadbalancer', 'list', '-f', 'value', '-c', 'id', '-c', 'name'], passwordEnv());
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `${LB.id} lb1\n`);
  assert.equal(identityCalls.length, 1);
  assert.deepEqual(identityCalls[0]!.body, {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'secret' } },
      },
      scope: { project: { name: 'demo', domain: { id: 'default' } } },
    },
  });
  assert.equal(lbCalls.length, 1);
  assert.equal(lbCalls[0]!.url, '/load-balancer/v2/lbaas/loadbalancers');
  assert.equal(lbCalls[0]!.headers['x-auth-token'], ISSUED);
  assert.equal(lbCalls[0]!.headers['x-project-id'], undefined);
});

test('OS_AUTH_URL may end in /v3; OS_INTERFACE and OS_REGION_NAME choose the endpoint', async () => {
  lbCalls.length = 0;
  const r = await cli(['loadbalancer', 'list'], {
    ...passwordEnv(),
    OS_AUTH_URL: `${identityUrl}/v3/`,
    OS_INTERFACE: 'internal',
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(lbCalls[0]!.url, '/load-balancer/internal/v2/lbaas/loadbalancers');
  const wrongRegion = await cli(['loadbalancer', 'list'], { ...passwordEnv(), OS_REGION_NAME: 'RegionThree' });
  assert.equal(wrongRegion.code, 1);
  assert.equal(
    wrongRegion.err,
    "No 'load-balancer' endpoint in the service catalog (interface public, region RegionThree)\n",
  );
});

test('user and project IDs, and --os-* flags over OS_* variables', async () => {
  identityCalls.length = 0;
  const env = {
    OS_AUTH_URL: identityUrl,
    OS_USER_ID: 'u-1',
    OS_PASSWORD: 'wrong',
    OS_PROJECT_ID: 'p-1',
    OS_REGION_NAME: 'RegionOne',
  };
  const refused = await cli(['loadbalancer', 'list'], env);
  assert.equal(refused.code, 1);
  assert.equal(refused.err, 'The request you have made requires authentication. (HTTP 401)\n');
  const r = await cli(['loadbalancer', 'list', '--os-password', 'secret'], env);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(identityCalls[1]!.body.auth, {
    identity: { methods: ['password'], password: { user: { id: 'u-1', password: 'secret' } } },
    scope: { project: { id: 'p-1' } },
  });
});

test('token auth exchanges OS_TOKEN for a scoped token', async () => {
  identityCalls.length = 0;
  const r = await cli(['loadbalancer', 'list'], {
    OS_AUTH_TYPE: 'token',
    OS_TOKEN: 'existing-token',
    OS_AUTH_URL: identityUrl,
    OS_PROJECT_ID: 'p-1',
    OS_REGION_NAME: 'RegionOne',
  });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(identityCalls[0]!.body.auth.identity, { methods: ['token'], token: { id: 'existing-token' } });
});

test('missing settings and unreachable services are clear errors (exit 1)', async () => {
  const noPassword = await cli(['loadbalancer', 'list'], {
    OS_AUTH_URL: identityUrl,
    OS_USERNAME: 'demo',
    OS_PROJECT_ID: 'p',
  });
  assert.equal(noPassword.code, 1);
  assert.match(noPassword.err, /OS_PASSWORD/);
  const noUrl = await cli(['loadbalancer', 'list'], { OS_USERNAME: 'demo', OS_PASSWORD: 'x', OS_PROJECT_ID: 'p' });
  assert.equal(noUrl.code, 1);
  assert.match(noUrl.err, /OS_AUTH_URL/);
  const noEndpoint = await cli(['loadbalancer', 'list'], { OS_AUTH_TYPE: 'none' });
  assert.equal(noEndpoint.code, 1);
  assert.match(noEndpoint.err, /OS_ENDPOINT/);
  const closed = await cli(['loadbalancer', 'list'], { ...passwordEnv(), OS_AUTH_URL: 'http://127.0.0.1:1' });
  assert.equal(closed.code, 1);
  assert.match(closed.err, /^Unable to establish connection to http:\/\/127\.0\.0\.1:1\/v3\/auth\/tokens/);
  withoutLoadBalancer = true;
  try {
    const noService = await cli(['loadbalancer', 'list'], passwordEnv());
    assert.equal(noService.code, 1);
    assert.match(noService.err, /No 'load-balancer' endpoint in the service catalog/);
    // An explicit endpoint overrides the catalog.
    const overridden = await cli(['loadbalancer', 'list', '-f', 'value', '-c', 'name'], {
      ...passwordEnv(),
      OS_ENDPOINT: lbUrl,
    });
    assert.equal(overridden.code, 0, overridden.err);
    assert.equal(overridden.out, 'lb1\n');
  } finally {
    withoutLoadBalancer = false;
  }
});
