import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where Debian installs HAProxy; an agent may be given another binary. */
export const DEFAULT_HAPROXY_BINARY = '/usr/sbin/haproxy';

/** How much of HAProxy's stderr is kept for error messages. */
const OUTPUT_LIMIT = 16 * 1024;
/** A config check takes ~50 ms here; this only guards against a wedged binary. */
const CHECK_TIMEOUT_MS = 15_000;
/** Bounds on waiting for the master: first worker up, reload done, exit after a signal. */
const READY_TIMEOUT_MS = 10_000;
const RELOAD_TIMEOUT_MS = 10_000;
const SOFT_STOP_MS = 3_000;
const HARD_STOP_MS = 2_000;
const POLL_MS = 25;

/** Outcome of `haproxy -c`: HAProxy's own words are what the operator needs on failure. */
export interface ConfigCheck {
  valid: boolean;
  output: string;
}

/** Run `haproxy -c -f <path>` without touching any running instance. */
export function checkConfig(configPath: string, binary = DEFAULT_HAPROXY_BINARY): Promise<ConfigCheck> {
  return new Promise((resolve) => {
    execFile(
      binary,
      ['-c', '-f', configPath],
      { timeout: CHECK_TIMEOUT_MS, maxBuffer: OUTPUT_LIMIT * 4 },
      (err, stdout, stderr) => resolve({ valid: err === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

const versions = new Map<string, Promise<string>>();

/** The version string `haproxy -v` prints, e.g. "2.6.12-1+deb12u4"; asked once per binary (an amphora host starts many agents). */
export function haproxyVersion(binary = DEFAULT_HAPROXY_BINARY): Promise<string> {
  let version = versions.get(binary);
  if (!version) {
    version = new Promise<string>((resolve, reject) => {
      execFile(binary, ['-v'], { timeout: CHECK_TIMEOUT_MS }, (err, stdout) => {
        if (err) return reject(err);
        const match = /version\s+(\S+)/i.exec(stdout);
        resolve(match?.[1] ?? 'unknown');
      });
    });
    versions.set(binary, version);
    version.catch(() => versions.delete(binary));
  }
  return version;
}

/** True when `pid` names a process that has not exited (a zombie counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** One line of the master CLI's `show proc` worker section. */
interface WorkerEntry {
  pid: number;
  reloads: number;
}

interface ProcState {
  failedReloads: number;
  reloads: number;
  workers: WorkerEntry[];
}

const live = new Set<HaproxyProcess>();
// A Node process that dies without calling stop() must not leave an HAProxy running.
process.once('exit', () => {
  for (const proc of live) proc.killNow();
});

export interface HaproxyProcessOptions {
  configPath: string;
  /** The master CLI socket (`-S`); the reload and readiness probes talk to it. */
  masterSocket: string;
  binary?: string;
  /**
   * Where the master's pid is kept. A master found running there on start (its agent died and came back)
   * is adopted instead of started again, so traffic never stops for an agent restart.
   */
  pidFile?: string;
}

/**
 * One HAProxy in master-worker mode (`-W -db`, foreground, so the master stays our child whatever the
 * config says about `daemon`). Reloads go through SIGUSR2 to the master, which hands the listening
 * sockets to the new worker: no connection is refused during a reload.
 */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  /** A master an earlier agent started, found through the pid file. */
  private adoptedPid: number | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private lastWorkers: number[] = [];

  constructor(private readonly opts: HaproxyProcessOptions) {}

  /** The master's pid while it runs. */
  get masterPid(): number | undefined {
    return this.running ? (this.child?.pid ?? this.adoptedPid) : undefined;
  }

  get running(): boolean {
    if (this.adoptedPid !== undefined) return pidAlive(this.adoptedPid);
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True when start() found a master already running this config and took it over. */
  get adopted(): boolean {
    return this.adoptedPid !== undefined;
  }

  /** Worker pids seen at the last start or reload. */
  get workerPids(): readonly number[] {
    return this.lastWorkers;
  }

  /** Start the master and wait until its first worker runs; throws with HAProxy's output if it cannot. */
  async start(): Promise<void> {
    if (this.running) throw new Error('haproxy is already running');
    this.output = '';
    if (await this.adopt()) return;
    const child = spawn(
      this.opts.binary ?? DEFAULT_HAPROXY_BINARY,
      ['-W', '-db', '-f', this.opts.configPath, '-S', this.opts.masterSocket],
      // A session of its own. Linux's autogroup scheduler shares the CPU between sessions first: in the
      // amphora host's session, all the amphorae's HAProxies together would get one session's slice when the
      // machine is busy. (The benchmark showed how much the session matters: the same HAProxy served 7.5k
      // req/s in wrk's session and 4.3k in another one, on the busy 2-CPU machine.)
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        live.delete(this);
        resolve();
      });
      child.once('error', (err) => {
        this.capture(String(err));
        live.delete(this);
        resolve();
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk.toString()));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`haproxy exited during start: ${this.output.trim()}`);
      const state = await this.showProc();
      if (state && state.workers.length > 0) {
        this.lastWorkers = state.workers.map((w) => w.pid);
        if (this.opts.pidFile && child.pid !== undefined) await writeFile(this.opts.pidFile, `${child.pid}\n`);
        return;
      }
      await sleep(POLL_MS);
    }
    await this.stop();
    throw new Error(`haproxy did not start within ${READY_TIMEOUT_MS} ms: ${this.output.trim()}`);
  }

  /**
   * Re-read the config: SIGUSR2 to the master, then wait until a new worker has replaced the old
   * ones. The master CLI refuses connections for ~250 ms while the master re-executes, hence polling.
   */
  async reload(): Promise<void> {
    const pid = this.masterPid;
    if (pid === undefined) throw new Error('haproxy is not running');
    const before = (await this.showProc()) ?? { failedReloads: 0, reloads: 0, workers: [] };
    const old = new Set(before.workers.map((w) => w.pid));
    process.kill(pid, 'SIGUSR2');
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      if (!this.running) throw new Error(`haproxy exited during reload: ${this.output.trim()}`);
      const state = await this.showProc();
      if (!state || state.reloads <= before.reloads) continue;
      if (state.failedReloads > before.failedReloads) {
        throw new Error(`haproxy reload failed: ${this.output.trim()}`);
      }
      const fresh = state.workers.filter((w) => !old.has(w.pid));
      if (fresh.length > 0) {
        this.lastWorkers = fresh.map((w) => w.pid);
        return;
      }
    }
    throw new Error(`haproxy reload did not finish within ${RELOAD_TIMEOUT_MS} ms`);
  }

  /**
   * Soft stop (SIGUSR1: stop listening, finish requests in flight), then SIGTERM, then SIGKILL to the
   * master and its workers, each step bounded, so nothing of ours is left running.
   */
  async stop(): Promise<void> {
    const master = this.masterPid;
    if (master === undefined) return;
    const workers = await this.currentWorkers();
    for (const [signal, waitMs] of [
      ['SIGUSR1', SOFT_STOP_MS],
      ['SIGTERM', HARD_STOP_MS],
      ['SIGKILL', HARD_STOP_MS],
    ] as const) {
      if (!this.running) break;
      signalQuietly(master, signal);
      await Promise.race([this.exited, this.untilGone(master, waitMs)]);
    }
    for (const pid of workers) if (pidAlive(pid)) signalQuietly(pid, 'SIGKILL');
    if (this.opts.pidFile) await rm(this.opts.pidFile, { force: true });
    this.adoptedPid = undefined;
  }

  /**
   * Take over the master named by the pid file if it still runs this very config (checked on its command
   * line, against pid reuse) and answers on the master socket.
   */
  async adopt(): Promise<boolean> {
    if (!this.opts.pidFile) return false;
    let pid: number;
    try {
      pid = Number(readFileSync(this.opts.pidFile, 'utf8').trim());
    } catch {
      return false;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isMasterOf(pid, this.opts.configPath)) return false;
    const state = await this.showProc();
    if (!state) return false;
    this.child = undefined;
    this.adoptedPid = pid;
    this.lastWorkers = state.workers.map((w) => w.pid);
    this.exited = this.untilGone(pid, Number.POSITIVE_INFINITY);
    return true;
  }

  /** Resolves when `pid` has exited, or after `ms`. */
  private async untilGone(pid: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(POLL_MS * 4);
  }

  /** Synchronous last resort for process exit. */
  killNow(): void {
    const master = this.masterPid;
    if (master !== undefined) signalQuietly(master, 'SIGKILL');
    for (const pid of this.lastWorkers) signalQuietly(pid, 'SIGKILL');
  }

  private async currentWorkers(): Promise<number[]> {
    const state = await this.showProc();
    return state ? state.workers.map((w) => w.pid) : [...this.lastWorkers];
  }

  private capture(text: string): void {
    this.output = (this.output + text).slice(-OUTPUT_LIMIT);
  }

  /** `show proc` on the master CLI, or undefined when the socket does not answer yet. */
  private async showProc(): Promise<ProcState | undefined> {
    const text = await masterCommand(this.opts.masterSocket, 'show proc').catch(() => undefined);
    return text === undefined ? undefined : parseShowProc(text);
  }
}

/** The process is an HAProxy master-worker started with `-f <configPath>`. */
function isMasterOf(pid: number, configPath: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return pidAlive(pid) && args.includes('-W') && args[args.indexOf('-f') + 1] === configPath;
  } catch {
    return false;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Send one command to the master CLI and read the answer until the master closes the connection. */
function masterCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('master CLI timed out')));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve(text);
    });
  });
}

/** Parse `show proc`: the master's reload counters and the current workers. */
export function parseShowProc(text: string): ProcState | undefined {
  let section = 'header';
  const state: ProcState = { failedReloads: 0, reloads: 0, workers: [] };
  let sawMaster = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('# ')) {
      section = line.slice(2).trim();
      continue;
    }
    const cols = line.trim().split(/\s+/);
    const pid = Number(cols[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (cols[1] === 'master') {
      sawMaster = true;
      state.reloads = Number(cols[2]) || 0;
      state.failedReloads = Number(/failed:\s*(\d+)/.exec(line)?.[1] ?? 0);
    } else if (section === 'workers' && cols[1] === 'worker') {
      state.workers.push({ pid, reloads: Number(cols[2]) || 0 });
    }
  }
  return sawMaster ? state : undefined;
}
