import { spawn, type ChildProcess } from 'node:child_process';
import { get } from './http-probe.js';
import { sleep } from './process-tools.js';

export const HAPROXY = '/usr/sbin/haproxy';

/** One HAProxy in master-worker mode, in the foreground, owned by this process. */
export class HaproxyProcess {
  private stderr = '';
  private readonly child: ChildProcess;

  /** Spawn at once, so the caller can register the stop before waiting for the process to answer. */
  constructor(private readonly cfgPath: string) {
    // Its own session, as Tavia's amphorae run theirs: Linux's autogroup scheduler shares the CPU between
    // sessions, so a proxy in the benchmark's session (with wrk) would be scheduled unlike Tavia's.
    this.child = spawn(HAPROXY, ['-W', '-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Wait until a GET on 127.0.0.1:port answers 200; bounded to 5 s. */
  async ready(port: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await get(`http://127.0.0.1:${port}/`)) instanceof Error) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`haproxy -f ${this.cfgPath} did not start: ${this.stderr.trim()}`);
      await sleep(50);
    }
  }

  /** SIGTERM to the master (it stops its workers), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
