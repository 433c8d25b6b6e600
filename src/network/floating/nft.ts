import { spawn } from 'node:child_process';

/** How long one `nft` run may take; it answers in milliseconds, a hang must not hold the API. */
const NFT_TIMEOUT_MS = 10_000;

export interface NftResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `nft` with `args`, feeding `input` on stdin; a missing binary is reported as code null with the error. */
export function runNft(args: string[], input?: string): Promise<NftResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn('nft', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: NFT_TIMEOUT_MS });
    } catch (err) {
      resolve({ code: null, stdout: '', stderr: String(err) });
      return;
    }
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => resolve({ code: null, stdout, stderr: stderr + String(err) }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
