import { randomUUID } from 'node:crypto';

/** A new resource id in the canonical 8-4-4-4-12 form Octavia uses. */
export function newId(): string {
  return randomUUID();
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** True for the UUID spellings Octavia accepts (with or without dashes, any case). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** Octavia's timestamp format: ISO 8601, second precision, no zone. */
export function nowTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19);
}
