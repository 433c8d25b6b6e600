import { execFile, type ChildProcess } from 'node:child_process';

/** What one wrk run reports. */
export interface WrkResult {
  requests: number;
  seconds: number;
  /** Bytes read by wrk (headers and bodies), as wrk prints them (three significant digits). */
  bytes: number;
  p50Ms: number;
  p99Ms: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
}

export interface WrkLoad {
  threads: number;
  connections: number;
  /** Send `Connection: close`: one connection per request. */
  close: boolean;
}

export const wrkErrors = (r: WrkResult): number =>
  r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;

const TIME_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000 };
const SIZE: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Every wrk this module started and that has not exited yet, so a cleanup can kill them. */
const running = new Set<ChildProcess>();

export function killRunningWrk(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Read wrk's summary (run with --latency). */
export function parseWrk(stdout: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)([KMGT]?B) read/.exec(stdout);
  const p50 = /^\s*50%\s+([\d.]+)(us|ms|s|m|h)/m.exec(stdout);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m|h)/m.exec(stdout);
  if (!total || !p50 || !p99) throw new Error(`unexpected wrk output:\n${stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  return {
    requests: Number(total[1]),
    seconds: (Number(total[2]) * TIME_MS[total[3]!]!) / 1000,
    bytes: Number(total[4]) * SIZE[total[5]!]!,
    p50Ms: Number(p50[1]) * TIME_MS[p50[2]!]!,
    p99Ms: Number(p99[1]) * TIME_MS[p99[2]!]!,
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    non2xx: Number(non2xx?.[1] ?? 0),
  };
}

export interface WrkRun {
  /** Stop wrk now (SIGINT: wrk stops its threads and prints its summary as at the end of -d). */
  stop(): Promise<WrkResult>;
  /** Settles when wrk exits, by itself after `seconds` or after stop(). */
  result: Promise<WrkResult>;
}

/** Start `wrk --latency` against url for at most `seconds` (whole seconds). */
export function startWrk(url: string, seconds: number, load: WrkLoad): WrkRun {
  const args = [`-t${load.threads}`, `-c${load.connections}`, `-d${seconds}s`, '--latency'];
  if (load.close) args.push('-H', 'Connection: close');
  let child: ChildProcess | undefined;
  const result = new Promise<WrkResult>((resolve, reject) => {
    child = execFile('wrk', [...args, url], { timeout: (seconds + 15) * 1000 }, (err, stdout) => {
      running.delete(child!);
      if (err) return reject(new Error(`wrk ${args.join(' ')} ${url} failed: ${err.message}`));
      try {
        resolve(parseWrk(stdout));
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    });
    running.add(child);
  });
  return {
    result,
    stop: () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return result;
    },
  };
}

/** Run wrk for `seconds` and read its summary. */
export function runWrk(url: string, seconds: number, load: WrkLoad): Promise<WrkResult> {
  return startWrk(url, seconds, load).result;
}
