import { performance } from 'node:perf_hooks';
import { untilServedBy } from '../lib/http-probe.js';
import { table, TIMING_HEADER, timingRow } from '../lib/report.js';
import { settled } from '../lib/tavia-db.js';
import { SETTLE_TIMEOUT_MS, type BenchEnv } from './environment.js';

/**
 * POST member -> first request answered by it through the VIP. The clock runs from sending the POST until
 * a GET through the VIP (fresh connections, back to back) is answered by backend-c. The member is deleted
 * and the worker settled between tries.
 */
export async function measureMemberFirstServed(env: BenchEnv, tries: number): Promise<void> {
  const membersPath = `/v2/lbaas/pools/${env.http.poolId}/members`;
  const served: number[] = [];
  const posts: number[] = [];
  const probes: number[] = [];
  for (let i = 0; i < tries; i++) {
    const t0 = performance.now();
    const member = await env.api.call<{ member: { id: string } }>('POST', membersPath, 201, {
      member: { address: '127.0.0.1', protocol_port: env.backends.c[0], name: `new-${i}` },
    });
    posts.push(performance.now() - t0);
    const first = await untilServedBy(env.http.taviaUrl, ['backend-c']);
    served.push(performance.now() - t0);
    probes.push(first.requests);
    await settled(env.node.db, SETTLE_TIMEOUT_MS);
    await env.api.call('DELETE', `${membersPath}/${member.member.id}`, 204);
    await settled(env.node.db, SETTLE_TIMEOUT_MS);
  }
  console.log(
    `\n(b) POST member -> first request answered by it through the HTTP VIP, ${tries} tries ` +
      `(GETs on fresh connections back to back; member deleted and settled between tries)`,
  );
  console.log(table([TIMING_HEADER, timingRow('POST -> first served', served), timingRow('POST alone (201)', posts)]));
  console.log(`probe GETs per try: ${probes.join(' ')}`);
}
