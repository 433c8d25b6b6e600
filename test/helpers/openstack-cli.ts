import { spawn } from 'node:child_process';

/** What one CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const CLI_TIMEOUT_MS = 120_000;

/** The environment without any OS_* variable of the caller: only the rc file speaks. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('OS_')) env[key] = value;
  return env;
}

/**
 * Run a command line as a user would: `source RC_FILE && <command> ARGS...` in bash, with no OS_* variables
 * inherited, killed after two minutes.
 */
export function runSourced(rcFile: string, command: string, args: readonly string[]): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `source "$0" && exec ${command} "$@"`, rcFile, ...args], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** `openstack ARGS...` with the rc file's credentials. */
export const openstack = (rcFile: string, ...args: string[]) => runSourced(rcFile, 'openstack', args);
