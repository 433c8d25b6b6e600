import { randomUUID } from 'node:crypto';

/** Keystone's timestamps: ISO 8601 in UTC with microseconds, `2026-12-05T12:00:00.000000Z`. */
export function keystoneTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Keystone's entity ids: a UUID4 as 32 hex digits. */
export function newKeystoneId(): string {
  return randomUUID().replace(/-/g, '');
}
