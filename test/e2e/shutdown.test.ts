import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { killAllProcessNodes, NodeSandbox, ProcessNode } from '../helpers/process-node.js';

/** SIGTERM stops `tavia up` cleanly: it finishes the flow under way, exits 0 and frees its port. */
describe('clean stop on SIGTERM', () => {
  const sandboxes: NodeSandbox[] = [];
  after(async () => {
    await killAllProcessNodes();
    for (const s of sandboxes) await s.destroy();
  });

  it('finishes the flow under way, exits 0 and leaves nothing PENDING', async () => {
    const sandbox = await NodeSandbox.create();
    sandboxes.push(sandbox);
    const node = await ProcessNode.start(sandbox, { nodeId: 'stopper', stepDelayMs: 200 });
    const created = await node.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'in-flight', vip_subnet_id: '11111111-2222-3333-4444-555555555555' },
    });
    assert.equal(created.status, 201);
    // The create flow has four steps of 200 ms each: it is under way when the signal arrives.
    await new Promise((r) => setTimeout(r, 250));
    node.kill('SIGTERM');
    const exit = await node.waitForExit(15000);
    assert.deepEqual(exit, { code: 0, signal: null });
    await assert.rejects(fetch(node.url + '/'), 'the API port is closed');

    const db = sandbox.openDb();
    try {
      const lb = await db.kysely
        .selectFrom('load_balancer')
        .select('provisioning_status')
        .where('id', '=', created.body.loadbalancer.id)
        .executeTakeFirstOrThrow();
      assert.equal(lb.provisioning_status, 'ACTIVE', 'the flow under way was finished before the exit');
      const open = await db.kysely
        .selectFrom('job')
        .select('id')
        .where('state', 'in', ['pending', 'running'])
        .execute();
      assert.equal(open.length, 0);
    } finally {
      await db.close();
    }
  });
});
