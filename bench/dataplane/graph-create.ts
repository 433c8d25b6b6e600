import { performance } from 'node:perf_hooks';
import { firstAnswer } from '../lib/http-probe.js';
import { freePort } from '../lib/process-tools.js';
import { median, table, TIMING_HEADER, timingRow } from '../lib/report.js';
import { LB_PATH } from '../lib/tavia-api.js';
import type { BenchEnv } from './environment.js';

const TIMEOUT_MS = 60000;
/** Between polls of the API and probes of the VIP: fine enough for a 1 s goal, and leaves the CPU to the controller. */
const POLL_MS = 5;
const GOAL_P50_MS = 1000;

/** Every provisioning_status in a status tree (GET .../status), wherever it is nested. */
function provisioningStatuses(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) provisioningStatuses(item, out);
  else if (node !== null && typeof node === 'object')
    for (const [key, value] of Object.entries(node)) {
      if (key === 'provisioning_status' && typeof value === 'string') out.push(value);
      else provisioningStatuses(value, out);
    }
  return out;
}

/**
 * POST loadbalancer with an HTTP listener, its ROUND_ROBIN default pool and two members in one request
 * (Octavia's graph create), `creates` times one after another. The clocks start when the POST is sent:
 * until GET loadbalancer reads ACTIVE, and until a GET through the new VIP (fresh connections) answers 200
 * from a backend; both are polled at the same time. Then DELETE ?cascade=true, clocked until GET answers 404.
 */
export async function measureGraphCreates(env: BenchEnv, creates: number): Promise<void> {
  const post: number[] = [];
  const active: number[] = [];
  const answers: number[] = [];
  const del: number[] = [];
  const gone: number[] = [];
  for (let i = 0; i < creates; i++) {
    const port = await freePort();
    const body = {
      loadbalancer: {
        name: `graph-${i}`,
        vip_subnet_id: env.subnetId,
        listeners: [
          {
            name: `graph-${i}-http`,
            protocol: 'HTTP',
            protocol_port: port,
            default_pool: {
              name: `graph-${i}-pool`,
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              members: [
                { address: '127.0.0.1', protocol_port: env.backends.a },
                { address: '127.0.0.1', protocol_port: env.backends.b },
              ],
            },
          },
        ],
      },
    };
    const t0 = performance.now();
    const lb = await env.api.call<{ loadbalancer: { id: string; vip_address: string } }>('POST', LB_PATH, 201, body);
    post.push(performance.now() - t0);
    const path = `${LB_PATH}/${lb.loadbalancer.id}`;
    const [activeAt, answeredAt] = await Promise.all([
      env.api.untilActive(lb.loadbalancer.id, TIMEOUT_MS, POLL_MS),
      firstAnswer(`http://${lb.loadbalancer.vip_address}:${port}/`, TIMEOUT_MS, POLL_MS),
    ]);
    active.push(activeAt - t0);
    answers.push(answeredAt - t0);
    const tree = await env.api.call<unknown>('GET', `${path}/status`, 200);
    const statuses = provisioningStatuses(tree);
    // The load balancer, the listener, the pool and the two members.
    if (statuses.length !== 5 || statuses.some((s) => s !== 'ACTIVE'))
      throw new Error(`graph create ${i}: status tree not all ACTIVE: ${JSON.stringify(tree)}`);

    const t1 = performance.now();
    await env.api.call('DELETE', `${path}?cascade=true`, 204);
    del.push(performance.now() - t1);
    gone.push((await env.api.untilGone(path, TIMEOUT_MS, POLL_MS)) - t1);
  }
  const p50 = median(active);
  console.log(
    `\n(e) POST loadbalancer with an HTTP listener, a ROUND_ROBIN pool and 2 members in one request (graph create), ` +
      `${creates} one after another (API and VIP polled every ${POLL_MS} ms); then DELETE ?cascade=true until GET answers 404`,
  );
  console.log(
    table([
      TIMING_HEADER,
      timingRow('POST alone (201)', post),
      timingRow('POST -> ACTIVE', active),
      timingRow('POST -> VIP first answers', answers),
      timingRow('DELETE alone (204)', del),
      timingRow('DELETE -> gone (404)', gone),
    ]),
  );
  console.log(
    `POST -> ACTIVE p50 ${p50.toFixed(0)} ms: goal < ${GOAL_P50_MS} ms ${p50 < GOAL_P50_MS ? 'met' : 'NOT met'}`,
  );
}
