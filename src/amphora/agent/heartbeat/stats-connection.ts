import { connect, type Socket } from 'node:net';
import { parseShowInfo, type WorkerIdentity } from './show-stat.js';

/** HAProxy ends every answer in interactive mode with this prompt. */
const PROMPT = '\n> ';
/** An answer larger than this is not a stats table. */
const MAX_ANSWER_CHARS = 16 * 1024 * 1024;
/** A working connection is renewed after this long anyway, so nothing depends on one living forever. */
const MAX_AGE_MS = 60_000;

export interface StatsAnswer {
  /** The worker that answered. */
  worker: WorkerIdentity;
  /** The worker is being replaced (`Stopping: 1` after a reload): these are its last counters. */
  stopping: boolean;
  /** The `show stat` CSV. */
  text: string;
}

/**
 * A lasting connection to one HAProxy stats socket in interactive mode (`prompt`). Opening a Unix socket
 * connection for every heartbeat cost about twice the CPU of the commands themselves (measured with 200
 * HAProxies read once a second); a lasting one is asked again and again.
 *
 * A connection belongs to the worker that accepted it, and keeps that worker alive. Every reading asks
 * `show info` too: when it says the worker is stopping (it was replaced by a reload, whoever made it), that
 * reading is its last, the connection is dropped and the new worker is read on a new one.
 */
export class StatsConnection {
  private socket: Socket | undefined;
  private openedAt = 0;
  private buffer = '';
  private waiting: { count: number; answers: string[]; done: (err?: Error) => void } | undefined;

  constructor(private readonly path: string) {}

  /**
   * The worker's stats: one answer, or two when the worker that answered was stopping (its last counters, then
   * the new worker's). Undefined when HAProxy does not answer within `timeoutMs`.
   */
  async read(timeoutMs: number): Promise<StatsAnswer[] | undefined> {
    const deadline = Date.now() + timeoutMs;
    if (this.socket && Date.now() - this.openedAt > MAX_AGE_MS) this.close();
    const reused = this.socket !== undefined;
    let first: StatsAnswer;
    try {
      first = await this.ask(deadline);
    } catch (err) {
      this.close();
      // HAProxy may close an idle connection (`stats timeout`) just as it is used again: once more, on a new one.
      if (!reused || (err as Error).message === 'timeout') return undefined;
      try {
        first = await this.ask(deadline);
      } catch {
        this.close();
        return undefined;
      }
    }
    if (!first.stopping) return [first];
    this.close();
    const next = await this.ask(deadline).catch(() => undefined);
    if (!next || next.stopping) this.close();
    return next ? [first, next] : [first];
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.buffer = '';
    this.waiting?.done(new Error('closed'));
    this.waiting = undefined;
  }

  private async ask(deadline: number): Promise<StatsAnswer> {
    if (!this.socket) await this.open(deadline);
    const [info, text] = await this.commands(['show info', 'show stat'], deadline);
    const worker = parseShowInfo(info!);
    if (!worker) throw new Error('show info names no worker');
    return { worker, stopping: /^Stopping: *1\b/m.test(info!), text: text! };
  }

  private open(deadline: number): Promise<void> {
    const socket = connect(this.path);
    this.socket = socket;
    this.openedAt = Date.now();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.received(socket, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.waiting?.done(new Error('connection closed'));
      this.waiting = undefined;
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      // Interactive mode: the connection stays open and every answer ends with the prompt.
      socket.once('connect', () => this.commands(['prompt'], deadline).then(() => resolve(), reject));
    });
  }

  /** Send commands at once (one write) and collect one answer per command, each ended by the prompt. */
  private commands(commands: string[], deadline: number): Promise<string[]> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const answers: string[] = [];
      const timer = setTimeout(() => this.waiting?.done(new Error('timeout')), Math.max(0, deadline - Date.now()));
      this.waiting = {
        count: commands.length,
        answers,
        done: (err) => {
          clearTimeout(timer);
          this.waiting = undefined;
          if (err) reject(err);
          else resolve(answers);
        },
      };
      socket.write(`${commands.join('\n')}\n`);
    });
  }

  private received(socket: Socket, chunk: string): void {
    if (socket !== this.socket) return;
    this.buffer += chunk;
    if (this.buffer.length > MAX_ANSWER_CHARS) return this.close();
    for (let end = this.buffer.indexOf(PROMPT); end >= 0 && this.waiting; end = this.buffer.indexOf(PROMPT)) {
      this.waiting.answers.push(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + PROMPT.length);
      if (this.waiting.answers.length === this.waiting.count) this.waiting.done();
    }
  }
}
