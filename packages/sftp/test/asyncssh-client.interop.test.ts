/** AsyncSSH's SFTP client, at each version 3 to 6, against our server run as sshd's sftp subsystem. */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sshd, startSshd } from './helpers/sshd.ts';

const script = join(dirname(fileURLToPath(import.meta.url)), 'helpers/asyncssh_sftp_client.py');
const VERSIONS = [3, 4, 5, 6];

let sshd: Sshd;
let results: Record<string, Record<string, unknown>>;

beforeAll(async () => {
  sshd = await startSshd();
  // One AsyncSSH connection, one SFTP session per version (Python start-up is the slow part).
  results = await new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [script, String(sshd.port), sshd.clientKey, ...VERSIONS.map(String)], { timeout: 90000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, Record<string, unknown>>);
    });
  });
}, 120000);

afterAll(async () => {
  await sshd.stop();
});

describe.each(VERSIONS)('AsyncSSH client at v%i against our server', (version) => {
  it('ran its script of operations', () => {
    expect(results[String(version)]).toEqual({
      version,
      read: 'hello from asyncssh\n',
      big_ok: true,
      size: 256 * 4096,
      type: 1,
      perm: 0o600,
      mtime: 1200000000,
      readlink: 'renamed.txt',
      islink: true,
      listdir: ['.', '..', 'big.bin', 'link', 'renamed.txt', 'x'],
      realpath: `/work${version}/x/y`,
      exists_missing: false,
      missing_code: 2,
      after: ['.', '..', 'big.bin', 'renamed.txt'],
    });
    expect(readFileSync(join(sshd.root, `work${version}/renamed.txt`), 'utf8')).toBe('hello from asyncssh\n');
    expect(statSync(join(sshd.root, `work${version}/big.bin`)).size).toBe(256 * 4096);
  });
});
