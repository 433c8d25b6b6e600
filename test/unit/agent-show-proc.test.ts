import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShowProc } from '../../src/amphora/agent/haproxy-process.js';

const SAMPLE = `#<PID>          <type>          <reloads>       <uptime>        <version>
19576           master          3 [failed: 1]   0d00h00m01s     2.6.12-1+deb12u4
# workers
19585           worker          0               0d00h00m01s     2.6.12-1+deb12u4
19579           worker          1               0d00h00m02s     2.6.12-1+deb12u4
# programs

`;

describe('parseShowProc', () => {
  it('reads the reload counters and the workers of the master CLI', () => {
    assert.deepEqual(parseShowProc(SAMPLE), {
      reloads: 3,
      failedReloads: 1,
      workers: [
        { pid: 19585, reloads: 0 },
        { pid: 19579, reloads: 1 },
      ],
    });
  });

  it('gives undefined for an answer without a master line', () => {
    assert.equal(parseShowProc(''), undefined);
    assert.equal(parseShowProc('Unknown command.\n'), undefined);
  });
});
