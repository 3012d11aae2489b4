/**
 * matchKnownHosts against AsyncSSH 2.10's match_known_hosts on the same file: the same keys
 * come back for each host, address and port.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { importKnownHosts, matchKnownHosts, type KnownHostsMatch } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';

const pub = (type: string) => new TextDecoder().decode(testKey(type).convertToPublic().exportPublicKey()).trim();
const ED = pub('ssh-ed25519');
const EC = pub('ecdsa-sha2-nistp256');
const TEXT = [
  `example.com ${ED}`,
  `@revoked [example.com]:2222 ${EC}`,
  `[other.com]:2222 ${EC}`,
  `other.com ${ED}`,
  `@cert-authority *.example.org ${EC}`,
  `192.0.2.9 ${ED}`,
].join('\n');

type Query = [host: string, addr: string, port: number | null];
const QUERIES: Query[] = [
  ['example.com', '', 2222],
  ['example.com', '', null],
  ['other.com', '', 2222],
  ['other.com', '', 2200],
  ['a.example.org', '', 2022],
  ['unknown.net', '192.0.2.9', 2022],
  ['unknown.net', '', 2022],
];

/** AsyncSSH's answers: the fingerprints of host keys and CA keys per query. */
function asyncssh(): [string[], string[]][] {
  const script = [
    'import asyncssh, json, sys',
    'req = json.load(sys.stdin)',
    'kh = asyncssh.import_known_hosts(req["text"])',
    'out = []',
    'for host, addr, port in req["queries"]:',
    '    r = asyncssh.match_known_hosts(kh, host, addr, port)',
    '    out.append([[k.get_fingerprint() for k in r[0]], [k.get_fingerprint() for k in r[1]]])',
    'print(json.dumps(out))',
  ].join('\n');
  const stdout = execFileSync('/usr/bin/python3', ['-W', 'ignore', '-c', script], { input: JSON.stringify({ text: TEXT, queries: QUERIES }), timeout: 60_000 });
  return JSON.parse(stdout.toString()) as [string[], string[]][];
}

const fingerprints = (m: KnownHostsMatch): [string[], string[]] => [m.hostKeys.map((k) => k.getFingerprint()), m.caKeys.map((k) => k.getFingerprint())];

describe('matchKnownHosts and AsyncSSH match_known_hosts', () => {
  test('the same host and CA keys for every host, address and port', () => {
    const theirs = asyncssh();
    const kh = importKnownHosts(TEXT);
    QUERIES.forEach(([host, addr, port], i) => {
      expect(fingerprints(matchKnownHosts(kh, host, addr || undefined, port ?? undefined)), `${host} ${addr} ${port}`).toEqual(theirs[i]);
    });
  });

  test('a key revoked for the port stays revoked when the lookup falls back to the bare name', () => {
    const m = matchKnownHosts(TEXT, 'example.com', undefined, 2222);
    expect(m.hostKeys.map((k) => k.getFingerprint())).toEqual([testKey('ssh-ed25519').getFingerprint()]);
    expect(m.revokedKeys.map((k) => k.getFingerprint())).toEqual([testKey('ecdsa-sha2-nistp256').getFingerprint()]);
  });
});
