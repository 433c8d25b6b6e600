import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pidAlive } from '../agent/haproxy-process.js';

/** One amphora host per folder: its pid file says which process it is. */

const pidPath = (dir: string) => join(dir, 'host.pid');

/** Write our pid unless another live amphora host holds this folder; false when one does. */
export async function claimHostPidFile(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const other = Number((await readFile(pidPath(dir), 'utf8').catch(() => '')).trim());
  if (other > 0 && other !== process.pid && isHostOf(other, dir)) return false;
  await writeFile(pidPath(dir), `${process.pid}\n`);
  return true;
}

export async function releaseHostPidFile(dir: string): Promise<void> {
  const owner = Number((await readFile(pidPath(dir), 'utf8').catch(() => '')).trim());
  if (owner === process.pid) await rm(pidPath(dir), { force: true });
}

/** Guards against pid reuse: the process must be an amphora host of this folder. */
function isHostOf(pid: number, dir: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return pidAlive(pid) && args.includes('amphora-host') && args[args.indexOf('--dir') + 1] === dir;
  } catch {
    return false;
  }
}
