import { createHash } from 'node:crypto';
import type { AmphoraBuildRequest, BuiltAmphora, ComputeDriver } from '../compute-driver.js';

/** Octavia's no-op compute driver: amphorae exist only as rows; addresses come from 192.0.2.0/24. */
export class NoopComputeDriver implements ComputeDriver {
  readonly name = 'noop';

  async build(request: AmphoraBuildRequest): Promise<BuiltAmphora> {
    // Derived from the amphora id, so a resumed flow that builds twice gets the same answer.
    const digest = createHash('sha256').update(request.amphoraId).digest();
    return { computeId: `noop-${request.amphoraId}`, lbNetworkIp: `192.0.2.${(digest[0]! % 254) + 1}` };
  }

  async destroy(): Promise<void> {}
}
