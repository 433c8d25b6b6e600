import { connect } from 'node:net';

/** HAProxy answers a runtime command in well under a millisecond; this bounds a wedged or dying worker. */
export const DEFAULT_RUNTIME_TIMEOUT_MS = 1_000;
/** `show stat` of a large load balancer is a few hundred kB; anything far beyond is not an answer. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * Send one line of commands (`;` separates several) to an HAProxy stats socket and read the answer until
 * HAProxy closes the connection (non-interactive mode). Rejects on a refused connection or the timeout.
 */
export function runtimeCommand(
  socketPath: string,
  command: string,
  timeoutMs = DEFAULT_RUNTIME_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => socket.destroy(new Error(`${command}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES)
        socket.destroy(new Error(`${command}: answer larger than ${MAX_ANSWER_BYTES} bytes`));
      else chunks.push(chunk);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
