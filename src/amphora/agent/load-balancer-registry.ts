import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkConfig, HaproxyProcess } from './haproxy-process.js';
import { haproxyConfigFacts, type HaproxyConfigFacts } from './heartbeat/haproxy-config-facts.js';
import type { HeartbeatSource } from './heartbeat/heartbeat-sender.js';
import { saveServerState } from './heartbeat/server-state-file.js';

/** Load balancer ids become directory names: UUID-like only, so no path can escape the state dir. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export type ControlAction = 'start' | 'stop' | 'reload';

/** What a config upload did: stored with its md5, or refused with HAProxy's check output. */
export type PutConfigResult = { stored: true; etag: string } | { stored: false; output: string };

export interface ListenerStatus {
  status: 'ACTIVE' | 'STOPPED';
  uuid: string;
  type: 'HTTP';
}

/** Raised when the id names no load balancer on this amphora. */
export class UnknownLoadBalancer extends Error {}

/** What the agent does around the registry's HAProxy operations. */
export interface RegistryHooks {
  /** Called just before a running HAProxy reloads (its worker is about to be replaced). Must not throw. */
  beforeReload?(source: HeartbeatSource): Promise<void>;
  /** Called just before an HAProxy stops (stop, removal, agent shutdown). Must not throw. */
  beforeStop?(lbId: string): void;
}

/**
 * The load balancers on one amphora: `<stateDir>/lb/<lb_id>/haproxy.cfg` and the HAProxy running it.
 * Operations on one load balancer run one at a time, so an upload never races a reload.
 */
export class LoadBalancerRegistry {
  private readonly processes = new Map<string, HaproxyProcess>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** What each stored config says about its sockets and servers; dropped when the config changes. */
  private readonly facts = new Map<string, HaproxyConfigFacts>();
  /** The load balancers with a stored config, known without reading the disk (heartbeats ask every second). */
  private known: Set<string> | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly binary?: string,
    private readonly hooks: RegistryHooks = {},
  ) {}

  static isValidId(id: string): boolean {
    return ID_PATTERN.test(id);
  }

  /** Check `text` with `haproxy -c` and, only if valid, replace the stored config atomically. */
  putConfig(lbId: string, text: string): Promise<PutConfigResult> {
    return this.serial(lbId, async () => {
      const dir = this.dir(lbId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `haproxy.cfg.tmp-${randomBytes(6).toString('hex')}`);
      try {
        await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
        const check = await checkConfig(tmp, this.binary);
        if (!check.valid) return { stored: false, output: check.output };
        await rename(tmp, this.configPath(lbId));
        this.facts.set(lbId, haproxyConfigFacts(text));
        this.known?.add(lbId);
        return { stored: true, etag: md5(text) };
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }

  /** The stored config and its md5, or undefined. */
  async getConfig(lbId: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      const text = await readFile(this.configPath(lbId), 'utf8');
      return { text, etag: md5(text) };
    } catch {
      return undefined;
    }
  }

  /**
   * start/reload: reload a running HAProxy, start a stopped one; stop: stop it if it runs. Before each, the
   * members' health is saved for the next worker (see server-state-file.ts).
   */
  control(lbId: string, action: ControlAction): Promise<string> {
    return this.serial(lbId, async () => {
      this.requireConfig(lbId);
      const proc = this.processes.get(lbId);
      const facts = await this.configFacts(lbId);
      if (action === 'stop') {
        if (proc?.running) await saveServerState(facts);
        this.hooks.beforeStop?.(lbId);
        await proc?.stop();
        return `haproxy for ${lbId} stopped`;
      }
      await saveServerState(facts);
      if (proc?.running) {
        await this.hooks.beforeReload?.(this.source(lbId, facts));
        await proc.reload();
        return `haproxy for ${lbId} reloaded`;
      }
      const fresh = this.newProcess(lbId);
      this.processes.set(lbId, fresh);
      await fresh.start();
      return `haproxy for ${lbId} started`;
    });
  }

  /** Stop the HAProxy of `lbId` and delete its files. */
  remove(lbId: string): Promise<void> {
    return this.serial(lbId, async () => {
      this.requireConfig(lbId);
      this.hooks.beforeStop?.(lbId);
      await this.processes.get(lbId)?.stop();
      this.processes.delete(lbId);
      this.facts.delete(lbId);
      this.known?.delete(lbId);
      await rm(this.dir(lbId), { recursive: true, force: true });
    });
  }

  /** Every load balancer with a stored config, and whether its HAProxy runs. */
  async list(): Promise<ListenerStatus[]> {
    const root = join(this.stateDir, 'lb');
    const ids = existsSync(root) ? await readdir(root) : [];
    return ids
      .filter((id) => LoadBalancerRegistry.isValidId(id) && existsSync(this.configPath(id)))
      .sort()
      .map((id) => ({ status: this.processes.get(id)?.running ? 'ACTIVE' : 'STOPPED', uuid: id, type: 'HTTP' }));
  }

  /**
   * Start (or adopt, when one survived its agent) the HAProxy of every stored config, as an amphora does
   * when it boots. A config that fails to start is reported and the others still start.
   */
  async startStored(): Promise<Array<{ lbId: string; error: string }>> {
    const failures: Array<{ lbId: string; error: string }> = [];
    for (const { uuid } of await this.list()) {
      await this.control(uuid, 'start').catch((err: unknown) =>
        failures.push({ lbId: uuid, error: err instanceof Error ? err.message : String(err) }),
      );
    }
    return failures;
  }

  /** Stop the HAProxies an agent that is gone left running for the stored configs (found by their pid files). */
  async stopStored(): Promise<void> {
    for (const { uuid } of await this.list()) {
      await this.serial(uuid, async () => {
        const proc = this.processes.get(uuid) ?? this.newProcess(uuid);
        if (proc.running || (await proc.adopt())) await proc.stop();
        this.processes.delete(uuid);
      });
    }
  }

  /** Stop every HAProxy this registry started (agent shutdown), saving members' health for the next start. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.processes.keys()].map((id) =>
        this.serial(id, async () => {
          const proc = this.processes.get(id)!;
          if (proc.running) await saveServerState(await this.configFacts(id));
          this.hooks.beforeStop?.(id);
          await proc.stop();
        }),
      ),
    );
  }

  /** Every load balancer with a stored config, as the heartbeat sender reads it. */
  async heartbeatSources(): Promise<HeartbeatSource[]> {
    // Read synchronously once, so no upload or removal can slip in between the read and the set.
    this.known ??= new Set(this.storedIdsSync());
    const sources: HeartbeatSource[] = [];
    for (const lbId of this.known) {
      const facts = await this.configFacts(lbId).catch(() => undefined);
      if (facts) sources.push(this.source(lbId, facts));
    }
    return sources;
  }

  private source(lbId: string, facts: HaproxyConfigFacts): HeartbeatSource {
    return {
      lbId,
      statsSocket: facts.statsSocket,
      countersFile: join(this.dir(lbId), 'heartbeat-counters.json'),
    };
  }

  private storedIdsSync(): string[] {
    const root = join(this.stateDir, 'lb');
    return existsSync(root)
      ? readdirSync(root).filter((id) => LoadBalancerRegistry.isValidId(id) && existsSync(this.configPath(id)))
      : [];
  }

  private async configFacts(lbId: string): Promise<HaproxyConfigFacts> {
    const cached = this.facts.get(lbId);
    if (cached) return cached;
    const facts = haproxyConfigFacts(await readFile(this.configPath(lbId), 'utf8'));
    // An upload that finished while the file was read has already put the newer facts here.
    if (!this.facts.has(lbId)) this.facts.set(lbId, facts);
    return this.facts.get(lbId)!;
  }

  private newProcess(lbId: string): HaproxyProcess {
    return new HaproxyProcess({
      configPath: this.configPath(lbId),
      masterSocket: join(this.dir(lbId), 'master.sock'),
      pidFile: join(this.dir(lbId), 'haproxy.pid'),
      binary: this.binary,
    });
  }

  private requireConfig(lbId: string): void {
    if (!existsSync(this.configPath(lbId))) throw new UnknownLoadBalancer(lbId);
  }

  private dir(lbId: string): string {
    if (!LoadBalancerRegistry.isValidId(lbId)) throw new UnknownLoadBalancer(lbId);
    return join(this.stateDir, 'lb', lbId);
  }

  private configPath(lbId: string): string {
    return join(this.dir(lbId), 'haproxy.cfg');
  }

  /** Chain `task` after the previous operation on the same load balancer. */
  private serial<T>(lbId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(lbId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.queues.set(lbId, next);
    void next
      .finally(() => {
        if (this.queues.get(lbId) === next) this.queues.delete(lbId);
      })
      .catch(() => undefined);
    return next;
  }
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
