/**
 * Quoting for values taken from the API. HAProxy's config tokenizer treats spaces, `#`, `\`, quotes and
 * (inside double quotes) `$` specially; single quotes turn all of that off, so every user value is written
 * as one single-quoted word, with an embedded `'` written as `'\''` (close, escaped quote, reopen).
 */
export const quoteArg = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

/** Escape `%` for HAProxy log-format strings (redirect locations, header values), then quote. */
export const quoteLogFormat = (value: string): string => quoteArg(value.replaceAll('%', '%%'));

/** `addr:port` as HAProxy reads it; IPv6 addresses go in brackets so the port is not mistaken for a group. */
export const hostPort = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/** Indent a section's body lines under their header. */
export const section = (header: string, body: readonly string[]): string[] => [header, ...body.map((l) => `    ${l}`)];
