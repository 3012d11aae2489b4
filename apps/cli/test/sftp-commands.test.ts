/**
 * SftpShell on its own, over a stand-in SFTPClient: wildcards that match more names than a
 * function call can take as arguments.
 */
import type { SFTPClient } from '@ssh/asyncssh';
import { describe, expect, it } from 'vitest';
import { SftpShell } from '../src/index.ts';

describe('SftpShell wildcards', () => {
  it('removes every one of 200,000 names a remote wildcard matches', async () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `f${i}`);
    const removed: string[] = [];
    const client = {
      glob: (pattern: string) => Promise.resolve(pattern === 'f*' ? names : []),
      remove: (p: string) => {
        removed.push(p);
        return Promise.resolve();
      },
    } as unknown as SFTPClient;
    const out: string[] = [];
    const shell = new SftpShell(client, { out: (t) => out.push(t), err: (t) => out.push(t), progress: false, quiet: true, terminal: false }, { recurse: false, preserve: false }, '/');
    expect(await shell.execute('rm f* single')).toBe(true);
    expect(removed).toHaveLength(200_001);
    expect(removed[0]).toBe('f0');
    expect(removed[199_999]).toBe('f199999');
    expect(removed[200_000]).toBe('single');
    expect(out).toEqual([]);
  });
});
