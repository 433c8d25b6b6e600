import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { sleep } from './process-tools.js';

const REQUEST_TIMEOUT_MS = 2000;
const SERVED_BY_TIMEOUT_MS = 15000;
const SERVED_BY_MAX_REQUESTS = 20000;

/** The body of GET url on a fresh connection when it answers 200, else an Error. */
export function get(url: string): Promise<string | Error> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : new Error(`status ${res.statusCode}`)));
      res.on('error', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', resolve);
    req.end();
  });
}

/**
 * GET url on fresh connections, back to back, until every one of `names` has answered (the backends
 * answer with their name); at most 20,000 GETs or 15 s. Returns the time taken and the GETs sent.
 */
export async function untilServedBy(url: string, names: string[]): Promise<{ ms: number; requests: number }> {
  const t0 = performance.now();
  const seen = new Set<string>();
  for (let requests = 1; requests <= SERVED_BY_MAX_REQUESTS; requests++) {
    const answer = await get(url);
    if (typeof answer === 'string') seen.add(answer);
    if (names.every((n) => seen.has(n))) return { ms: performance.now() - t0, requests };
    if (performance.now() - t0 > SERVED_BY_TIMEOUT_MS) break;
  }
  throw new Error(`${url} did not answer as ${names.join(', ')} in time (seen: ${[...seen].join(', ')})`);
}

/**
 * GET url until it answers 200; `pauseMs` between failed tries, because a VIP that is not bound yet refuses
 * at once and a tight loop would take the CPU from the controller sharing this process. Returns the
 * performance.now() of the first 200 answer.
 */
export async function firstAnswer(url: string, timeoutMs: number, pauseMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    const answer = await get(url);
    if (typeof answer === 'string') return performance.now();
    last = answer;
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${last.message}`);
    await sleep(pauseMs);
  }
}
