/**
 * Runs the real ssh-keygen in a throwaway directory (bounded in time, no network).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSH_KEYGEN = '/usr/bin/ssh-keygen';

export class KeygenDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'ssh-keys-test-'));
  private n = 0;

  /** A fresh file path inside the directory. */
  path(name = `f${this.n++}`): string {
    return join(this.dir, name);
  }

  write(data: string | Uint8Array, name?: string): string {
    const p = this.path(name);
    writeFileSync(p, data);
    chmodSync(p, 0o600);
    return p;
  }

  read(p: string): Buffer {
    return readFileSync(p);
  }

  /** Runs ssh-keygen; returns stdout. Throws with stderr on failure. */
  run(args: readonly string[], input?: string): string {
    try {
      return execFileSync(SSH_KEYGEN, args, { cwd: this.dir, timeout: 30_000, input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`ssh-keygen ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
    }
  }

  /** Runs ssh-keygen expecting failure; returns true when it failed. */
  fails(args: readonly string[]): boolean {
    try {
      execFileSync(SSH_KEYGEN, args, { cwd: this.dir, timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
      return false;
    } catch {
      return true;
    }
  }

  /** Generates a key with ssh-keygen; returns the private key path. */
  keygen(type: string, bits: number | undefined, opts: { passphrase?: string; format?: string; comment?: string } = {}): string {
    const p = this.path();
    const args = ['-q', '-t', type, '-f', p, '-N', opts.passphrase ?? '', '-a', '4', '-C', opts.comment ?? 'test-comment'];
    if (bits !== undefined) args.push('-b', String(bits));
    if (opts.format) args.push('-m', opts.format);
    this.run(args);
    return p;
  }

  private readonly cache = new Map<string, string>();

  /** A key of `type`/`bits` generated once per directory (key generation is the slow part). */
  cachedKeygen(type: string, bits: number | undefined): string {
    const id = `${type}/${bits ?? ''}`;
    let p = this.cache.get(id);
    if (!p) {
      p = this.keygen(type, bits);
      this.cache.set(id, p);
    }
    return p;
  }

  /** A copy of the key at `src` rewritten by `ssh-keygen -p` in `format` with `passphrase`. */
  convert(src: string, opts: { format?: string; passphrase?: string } = {}): string {
    const p = this.path();
    copyFileSync(src, p);
    copyFileSync(`${src}.pub`, `${p}.pub`);
    chmodSync(p, 0o600);
    this.run(['-q', '-p', '-f', p, '-P', '', '-N', opts.passphrase ?? '', '-a', '4', ...(opts.format ? ['-m', opts.format] : [])]);
    return p;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
