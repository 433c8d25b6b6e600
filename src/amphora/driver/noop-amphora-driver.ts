import type { AmphoraDriver } from './amphora-driver.js';

/** Octavia's no-op amphora driver: every call succeeds and nothing moves traffic. */
export class NoopAmphoraDriver implements AmphoraDriver {
  readonly name = 'noop';
  async applyConfig(): Promise<void> {}
  async removeConfig(): Promise<void> {}
}
