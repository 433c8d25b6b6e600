import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The `admin-openrc` / `demo-openrc` files devstack writes, for `source` before running `openstack`. */

export interface OpenrcSpec {
  authUrl: string;
  userName: string;
  password: string;
  projectName: string;
  region: string;
}

/** A value as one single-quoted shell word, whatever it holds. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function openrcText(spec: OpenrcSpec): string {
  const vars: Array<[string, string]> = [
    ['OS_AUTH_URL', spec.authUrl],
    ['OS_USERNAME', spec.userName],
    ['OS_PASSWORD', spec.password],
    ['OS_PROJECT_NAME', spec.projectName],
    ['OS_TENANT_NAME', spec.projectName],
    ['OS_USER_DOMAIN_ID', 'default'],
    ['OS_PROJECT_DOMAIN_ID', 'default'],
    ['OS_REGION_NAME', spec.region],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_AUTH_TYPE', 'password'],
    ['OS_INTERFACE', 'public'],
  ];
  const lines = vars.map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return `# Credentials of the ${spec.userName} user of Tavia's identity service. Keep this file private.\n${lines.join('\n')}\n`;
}

export const openrcPath = (dataDir: string, userName: string) => join(dataDir, `${userName}-openrc`);

/** Write the file whole or not at all (a temporary file renamed over it), readable by its owner only. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/**
 * Point an existing file at a new auth URL (the identity service moved to another port), touching no
 * other line. Returns whether the file existed; a missing file is left missing.
 */
export async function updateOpenrcAuthUrl(path: string, authUrl: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const line = `export OS_AUTH_URL=${shellQuote(authUrl)}`;
  const updated = /^export OS_AUTH_URL=.*$/m.test(text)
    ? text.replace(/^export OS_AUTH_URL=.*$/m, line)
    : `${text.endsWith('\n') || text === '' ? text : `${text}\n`}${line}\n`;
  if (updated !== text) await writePrivateFile(path, updated);
  return true;
}
