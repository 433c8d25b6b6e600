import { ApiFault, type ApiClient } from './api-client.js';
import { CliError, type ClientIo } from './runtime.js';

const SPINNER = ['|', '/', '-', '\\'];

export interface WaitTarget {
  client: ApiClient;
  /** The object's own URL path and the key of its body. */
  path: string;
  itemKey: string;
  /** For messages: "load balancer 1234". */
  description: string;
}

/** Poll interval and overall limit: 0.5 s and 30 min, TAVIA_WAIT_INTERVAL_MS / TAVIA_WAIT_TIMEOUT_MS to change. */
function timing(env: ClientIo['env']): { intervalMs: number; timeoutMs: number } {
  const num = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    intervalMs: num(env.TAVIA_WAIT_INTERVAL_MS, 500),
    timeoutMs: num(env.TAVIA_WAIT_TIMEOUT_MS, 30 * 60 * 1000),
  };
}

/** Wait until the object is ACTIVE; ERROR fails at once. Returns the object as last seen. */
export async function waitForActive(target: WaitTarget, io: ClientIo): Promise<Record<string, any>> {
  let last: Record<string, any> | undefined;
  await poll(target, io, async () => {
    const body = await target.client.get<Record<string, any>>(target.path);
    last = body?.[target.itemKey] ?? {};
    const status = String(last!.provisioning_status ?? '');
    if (status === 'ACTIVE') return { done: true, status };
    if (status === 'ERROR') throw new CliError(`The ${target.description} went to ERROR instead of ACTIVE`);
    return { done: false, status };
  });
  return last!;
}

/** Wait until the object is gone (404); ERROR fails at once. */
export async function waitForDelete(target: WaitTarget, io: ClientIo): Promise<void> {
  await poll(target, io, async () => {
    try {
      const body = await target.client.get<Record<string, any>>(target.path);
      const status = String(body?.[target.itemKey]?.provisioning_status ?? '');
      if (status === 'ERROR') throw new CliError(`The ${target.description} went to ERROR instead of being deleted`);
      if (status === 'DELETED') return { done: true, status };
      return { done: false, status };
    } catch (err) {
      if (err instanceof ApiFault && err.status === 404) return { done: true, status: 'DELETED' };
      throw err;
    }
  });
}

async function poll(
  target: WaitTarget,
  io: ClientIo,
  check: () => Promise<{ done: boolean; status: string }>,
): Promise<void> {
  const { intervalMs, timeoutMs } = timing(io.env);
  const started = Date.now();
  let frame = 0;
  let status = '';
  const draw = () => {
    if (!io.isTTY) return;
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    io.stderr.write(
      `\r\x1b[2K${SPINNER[frame++ % SPINNER.length]} waiting for ${target.description}: ${status || '...'} (${elapsed}s)`,
    );
  };
  // A redraw between polls keeps the indicator moving while a poll is slow or the interval long.
  const timer = io.isTTY ? setInterval(draw, 100) : undefined;
  try {
    for (;;) {
      const result = await check();
      status = result.status;
      draw();
      if (result.done) return;
      if (Date.now() - started > timeoutMs) {
        throw new CliError(
          `Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${target.description} (last status ${status})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    if (timer) clearInterval(timer);
    if (io.isTTY) io.stderr.write('\r\x1b[2K');
  }
}
