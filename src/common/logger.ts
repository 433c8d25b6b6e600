import { pino, type Logger } from 'pino';

export type { Logger };

/** One structured JSON logger per process; children carry the component name. */
export function createLogger(level: string, name = 'tavia'): Logger {
  return pino({ name, level });
}
