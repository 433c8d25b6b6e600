import { performance } from 'node:perf_hooks';
import { sleep } from './process-tools.js';

const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'bench' };

export const LB_PATH = '/v2/lbaas/loadbalancers';

/** A small client for a Tavia node's Octavia API over HTTP. */
export class TaviaApi {
  constructor(private readonly base: string) {}

  /** Any answer, with its status. */
  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
    const res = await fetch(this.base + path, {
      method,
      headers: HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, text };
  }

  /** The body of an answer with status `expect`; anything else throws with the fault. */
  async call<T>(method: string, path: string, expect: number, body?: unknown): Promise<T> {
    const answer = await this.request<T>(method, path, body);
    if (answer.status !== expect) throw new Error(`${method} ${path} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  }

  /**
   * GET the load balancer every `pauseMs` until its provisioning_status is ACTIVE; returns the
   * performance.now() when the ACTIVE answer arrived. ERROR, or no ACTIVE within `timeoutMs`, throws.
   */
  async untilActive(loadBalancerId: string, timeoutMs: number, pauseMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const lb = await this.call<{ loadbalancer: { provisioning_status: string } }>(
        'GET',
        `${LB_PATH}/${loadBalancerId}`,
        200,
      );
      const status = lb.loadbalancer.provisioning_status;
      if (status === 'ACTIVE') return performance.now();
      if (status === 'ERROR') throw new Error(`load balancer ${loadBalancerId} went to ERROR`);
      if (performance.now() > deadline)
        throw new Error(`load balancer ${loadBalancerId} still ${status} after ${timeoutMs} ms`);
      await sleep(pauseMs);
    }
  }

  /** GET path every `pauseMs` until it answers 404; returns the performance.now() of the 404. */
  async untilGone(path: string, timeoutMs: number, pauseMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const answer = await this.request('GET', path);
      if (answer.status === 404) return performance.now();
      if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${answer.text}`);
      if (performance.now() > deadline) throw new Error(`${path} still there after ${timeoutMs} ms`);
      await sleep(pauseMs);
    }
  }
}
