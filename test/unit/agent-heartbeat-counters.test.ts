import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CounterLedger } from '../../src/amphora/agent/heartbeat/counter-ledger.js';
import type { FrontendStat } from '../../src/amphora/agent/heartbeat/show-stat.js';

const dir = mkdtempSync(join(tmpdir(), 'tavia-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `counters-${++files}.json`);

const WORKER_A = { pid: 100, startTimeSec: 1_000 };
const WORKER_B = { pid: 200, startTimeSec: 1_050 };
/** The same pid again, started later: a reused pid is another worker. */
const WORKER_A_REUSED = { pid: 100, startTimeSec: 2_000 };

function fe(name: string, stot: number, bin: number, bout: number, ereq = 0): FrontendStat {
  return { name, status: 'OPEN', scur: 1, slim: 100, stot, bin, bout, ereq };
}

describe('counter deltas', () => {
  it('sends everything a new worker counted, then only what grew', async () => {
    const ledger = await CounterLedger.open(freshFile());
    ledger.record(WORKER_A, [fe('l1', 10, 1000, 5000, 1)]);
    assert.deepEqual(ledger.take('l1'), { tx: 5000, rx: 1000, totconns: 10, ereq: 1 });
    assert.deepEqual(ledger.take('l1'), { tx: 0, rx: 0, totconns: 0, ereq: 0 }, 'taken once');
    ledger.record(WORKER_A, [fe('l1', 15, 1500, 7000, 1)]);
    assert.deepEqual(ledger.take('l1'), { tx: 2000, rx: 500, totconns: 5, ereq: 0 });
    ledger.record(WORKER_A, [fe('l1', 15, 1500, 7000, 1)]);
    assert.deepEqual(ledger.take('l1'), { tx: 0, rx: 0, totconns: 0, ereq: 0 }, 'idle: nothing');
  });

  it('starts from zero after a reload, even when the new worker already counted more than the old one', async () => {
    const ledger = await CounterLedger.open(freshFile());
    ledger.record(WORKER_A, [fe('l1', 10, 1000, 5000)]);
    ledger.take('l1');
    ledger.record(WORKER_B, [fe('l1', 50, 6000, 9000)]);
    assert.deepEqual(ledger.take('l1'), { tx: 9000, rx: 6000, totconns: 50, ereq: 0 });
    ledger.record(WORKER_A_REUSED, [fe('l1', 1, 100, 200)]);
    assert.deepEqual(ledger.take('l1'), { tx: 200, rx: 100, totconns: 1, ereq: 0 });
  });

  it('reads a counter that went down as a reset and sends its current value, never a negative', async () => {
    const ledger = await CounterLedger.open(freshFile());
    ledger.record(WORKER_A, [fe('l1', 10, 1000, 5000)]);
    ledger.take('l1');
    ledger.record(WORKER_A, [fe('l1', 3, 1200, 300)]);
    assert.deepEqual(ledger.take('l1'), { tx: 300, rx: 1200, totconns: 3, ereq: 0 });
  });

  it("adds the old worker's last reading (taken before a reload) to the new worker's first", async () => {
    const ledger = await CounterLedger.open(freshFile());
    ledger.record(WORKER_A, [fe('l1', 10, 1000, 5000), fe('l2', 1, 10, 20)]);
    ledger.take('l1');
    ledger.take('l2');
    ledger.record(WORKER_A, [fe('l1', 12, 1300, 5600), fe('l2', 1, 10, 20)]);
    ledger.record(WORKER_B, [fe('l1', 4, 400, 800)]);
    assert.deepEqual(ledger.take('l1'), { tx: 600 + 800, rx: 300 + 400, totconns: 2 + 4, ereq: 0 });
    assert.deepEqual(ledger.take('l2'), { tx: 0, rx: 0, totconns: 0, ereq: 0 });
  });

  it('gives back deltas whose message was not sent', async () => {
    const ledger = await CounterLedger.open(freshFile());
    ledger.record(WORKER_A, [fe('l1', 10, 1000, 5000)]);
    const lost = ledger.take('l1');
    ledger.record(WORKER_A, [fe('l1', 11, 1100, 5500)]);
    ledger.giveBack('l1', lost);
    assert.deepEqual(ledger.take('l1'), { tx: 5500, rx: 1100, totconns: 11, ereq: 0 });
  });

  it('goes on from the saved counters when the agent restarts with the same worker still running', async () => {
    const file = freshFile();
    const first = await CounterLedger.open(file);
    first.record(WORKER_A, [fe('l1', 10, 1000, 5000)]);
    first.take('l1');
    await first.save();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      worker: WORKER_A,
      listeners: { l1: { tx: 5000, rx: 1000, totconns: 10, ereq: 0 } },
    });

    const adopted = await CounterLedger.open(file);
    adopted.record(WORKER_A, [fe('l1', 14, 1400, 5100)]);
    assert.deepEqual(adopted.take('l1'), { tx: 100, rx: 400, totconns: 4, ereq: 0 }, 'nothing counted twice');

    const restarted = await CounterLedger.open(file);
    restarted.record(WORKER_B, [fe('l1', 2, 20, 40)]);
    assert.deepEqual(restarted.take('l1'), { tx: 40, rx: 20, totconns: 2, ereq: 0 }, 'another worker: all of it');
  });

  it('treats a missing or damaged file as no history', async () => {
    for (const content of [undefined, '{"worker":', '{"worker":{"pid":-1,"startTimeSec":0},"listeners":{}}', '[]']) {
      const file = freshFile();
      if (content !== undefined) writeFileSync(file, content);
      const ledger = await CounterLedger.open(file);
      ledger.record(WORKER_A, [fe('l1', 3, 30, 60)]);
      assert.deepEqual(ledger.take('l1'), { tx: 60, rx: 30, totconns: 3, ereq: 0 }, String(content));
    }
  });

  it('writes the file only when the counters changed', async () => {
    const file = freshFile();
    const ledger = await CounterLedger.open(file);
    await ledger.save();
    assert.throws(() => readFileSync(file), /ENOENT/, 'nothing read yet: nothing written');
    ledger.record(WORKER_A, [fe('l1', 3, 30, 60)]);
    await ledger.save();
    rmSync(file);
    ledger.record(WORKER_A, [fe('l1', 3, 30, 60)]);
    await ledger.save();
    assert.throws(() => readFileSync(file), /ENOENT/, 'unchanged: not written again');
    ledger.record(WORKER_A, [fe('l1', 4, 30, 60)]);
    await ledger.save();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).listeners.l1.totconns, 4);
  });
});
