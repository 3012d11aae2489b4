/** known_hosts hashed by `ssh-keygen -H` and looked up by `ssh-keygen -F`, compared with ours. */
import { afterAll, describe, expect, test } from 'vitest';
import { hashHostname, importKnownHosts } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

describe('known_hosts with ssh-keygen', () => {
  const pub = new TextDecoder().decode(testKey('ssh-ed25519').convertToPublic().exportPublicKey()).trim();
  const hosts = ['plain.example.com', '[alt.example.com]:2222', '192.0.2.7'];

  test('entries hashed by ssh-keygen -H match here', () => {
    const p = dir.write(hosts.map((h) => `${h} ${pub}`).join('\n') + '\n');
    dir.run(['-H', '-f', p]);
    const hashed = dir.read(p).toString();
    expect(hashed).toMatch(/^\|1\|/);
    const kh = importKnownHosts(hashed);
    expect(kh.entries.every((e) => e.hashed !== undefined)).toBe(true);
    expect(kh.match('plain.example.com').hostKeys).toHaveLength(1);
    expect(kh.match('alt.example.com', undefined, 2222).hostKeys).toHaveLength(1);
    expect(kh.match('x', '192.0.2.7').hostKeys).toHaveLength(1);
    expect(kh.match('other.example.com').hostKeys).toHaveLength(0);
  });

  test('entries we hash are found by ssh-keygen -F', () => {
    const p = dir.write(`${hashHostname('ours.example.com')} ${pub}\n${hashHostname('ours.example.com', 2022)} ${pub}\n`);
    expect(dir.run(['-F', 'ours.example.com', '-f', p])).toContain('Host ours.example.com found: line 1');
    expect(dir.run(['-F', '[ours.example.com]:2022', '-f', p])).toContain('found: line 2');
    expect(dir.fails(['-F', 'nope.example.com', '-f', p])).toBe(true);
  });
});
