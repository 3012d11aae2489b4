/**
 * The host key policy against AsyncSSH's own client: an AsyncSSH server presents an X.509 host
 * certificate chain (or its plain key), AsyncSSH's `connect()` judges it with a known_hosts text
 * and X.509 options, and ours must decide the same for every case.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, removeTempDir, run, runAsyncsshClient, startAsyncsshServer, type AsyncsshServer } from '@ssh/interop';
import { generatePrivateKey, type SSHX509Certificate } from '@ssh/keys';
import { HostKeyNotVerifiable } from '@ssh/transport';
import { createHostKeyVerifier, type HostKeyInput } from '../src/host-key-policy.ts';

const X509_ALG = 'x509v3-ecdsa-sha2-nistp256';
const PLAIN_ALG = 'ecdsa-sha2-nistp256';

const rootKey = generatePrivateKey('ecdsa-sha2-nistp256');
const midKey = generatePrivateKey('ecdsa-sha2-nistp256');
const hostKey = generatePrivateKey('ecdsa-sha2-nistp256');
const otherKey = generatePrivateKey('ecdsa-sha2-nistp256');
const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Root,O=Example', { validAfter: '-1d', validBefore: '+1w' });
const mid = rootKey.generateX509CaCertificate(midKey, 'CN=Mid,O=Example', { issuerCert: root, validAfter: '-1d', validBefore: '+1w' });
const leaf = midKey.generateX509HostCertificate(hostKey, 'CN=server,O=Example', { issuerCert: mid, principals: ['localhost'], validAfter: '-1d', validBefore: '+1w' });
const chain: readonly SSHX509Certificate[] = [leaf, mid];

const der64 = (c: SSHX509Certificate): string => Buffer.from(c.data).toString('base64');
const pub = (k: typeof hostKey): string => new TextDecoder().decode(k.exportPublicKey()).trim();

interface Case {
  readonly name: string;
  readonly knownHosts: (port: number) => string;
  /** Trust the root as x509TrustedCerts (else an empty list). */
  readonly root: boolean;
  /** Trust the root through x509TrustedCertPaths (a directory holding `<subject hash>.0`). */
  readonly rootDir?: boolean;
  readonly alg: string;
  readonly alias?: string;
  readonly purposes?: string;
  readonly expected: 'accept' | 'reject';
  /** AsyncSSH's decision where it differs on purpose. */
  readonly asyncssh?: 'accept' | 'reject';
}

const CASES: readonly Case[] = [
  { name: 'X.509 chain to a trusted root', knownHosts: () => '', root: true, alg: X509_ALG, expected: 'accept' },
  { name: 'X.509 chain, no trusted root', knownHosts: () => '', root: false, alg: X509_ALG, expected: 'reject' },
  { name: 'X.509 chain, host name not in the certificate', knownHosts: () => '', root: true, alg: X509_ALG, alias: 'other.example', expected: 'reject' },
  {
    name: 'X.509 trusted subject instead of the host name',
    knownHosts: () => `* ${X509_ALG} Subject:O=Example,CN=server`,
    root: true,
    alg: X509_ALG,
    alias: 'other.example',
    expected: 'accept',
  },
  { name: 'X.509 trusted subject prefix', knownHosts: () => `* ${X509_ALG} Subject:O=Example,*`, root: true, alg: X509_ALG, alias: 'other.example', expected: 'accept' },
  { name: 'X.509 subject not trusted', knownHosts: () => `* ${X509_ALG} Subject:O=Example,CN=else`, root: true, alg: X509_ALG, expected: 'reject' },
  { name: 'X.509 subject in RFC 4514 order', knownHosts: () => `* ${X509_ALG} Subject:CN=server,O=Example`, root: true, alg: X509_ALG, expected: 'reject' },
  { name: 'X.509 subject revoked', knownHosts: () => `@revoked * ${X509_ALG} Subject:O=Example,*`, root: true, alg: X509_ALG, expected: 'reject' },
  { name: 'X.509 subject revoked in RFC 4514 order', knownHosts: () => `@revoked * ${X509_ALG} Subject:CN=server,*`, root: true, alg: X509_ALG, expected: 'accept' },
  { name: 'X.509 intermediate revoked', knownHosts: () => `@revoked * ${X509_ALG} ${der64(mid)}`, root: true, alg: X509_ALG, expected: 'reject' },
  { name: 'X.509 root as a known_hosts @cert-authority', knownHosts: () => `@cert-authority * ${X509_ALG} ${der64(root)}`, root: false, alg: X509_ALG, expected: 'accept' },
  {
    name: 'X.509 end certificate listed for the host',
    knownHosts: (p) => `[localhost]:${p} ${X509_ALG} ${der64(leaf)}`,
    root: false,
    alg: X509_ALG,
    expected: 'accept',
    // AsyncSSH (OpenSSL without partial chains) still wants the chain to reach a root; we take
    // the listed certificate as pinned, like a listed key.
    asyncssh: 'reject',
  },
  { name: 'X.509 root from an OpenSSL hash directory', knownHosts: () => '', root: false, rootDir: true, alg: X509_ALG, expected: 'accept' },
  { name: 'X.509 purposes not allowed', knownHosts: () => '', root: true, alg: X509_ALG, purposes: 'serverAuth', expected: 'reject' },
  { name: 'X.509 purposes not checked', knownHosts: () => '', root: true, alg: X509_ALG, purposes: 'any', expected: 'accept' },
  { name: 'plain key at [host]:port', knownHosts: (p) => `[localhost]:${p} ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, expected: 'accept' },
  { name: 'plain key at host, port fallback', knownHosts: () => `localhost ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, expected: 'accept' },
  {
    name: 'another key at [host]:port shadows host',
    knownHosts: (p) => `[localhost]:${p} ${pub(otherKey)}\nlocalhost ${pub(hostKey)}`,
    root: false,
    alg: PLAIN_ALG,
    expected: 'reject',
  },
  { name: 'plain key revoked', knownHosts: () => `localhost ${pub(hostKey)}\n@revoked * ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, expected: 'reject' },
  { name: 'alias at [alias]:port', knownHosts: (p) => `[srv.alias]:${p} ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, alias: 'srv.alias', expected: 'accept' },
  { name: 'alias as written', knownHosts: () => `srv.alias ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, alias: 'srv.alias', expected: 'accept' },
  { name: 'alias: entries for the host do not count', knownHosts: () => `localhost ${pub(hostKey)}`, root: false, alg: PLAIN_ALG, alias: 'srv.alias', expected: 'reject' },
];

const SNIPPET = `
results = []
for case in params['cases']:
    options = dict(
        known_hosts=case['knownHosts'].encode(),
        x509_trusted_certs=case['roots'],
        x509_trusted_cert_paths=case['paths'],
        server_host_key_algs=[case['alg']],
        client_keys=None,
        agent_path=None,
        username='nobody',
    )
    if case['alias']:
        options['host_key_alias'] = case['alias']
    if case['purposes']:
        options['x509_purposes'] = case['purposes']
    try:
        async with asyncssh.connect('localhost', params['port'], **options):
            results.append('accept')
    except asyncssh.HostKeyNotVerifiable as exc:
        results.append('reject')
    except asyncssh.PermissionDenied:
        results.append('accept')
    except Exception as exc:
        results.append('error: %r' % exc)
result = results
`;

let dir: string;
let server: AsyncsshServer;

beforeAll(async () => {
  dir = await makeTempDir('host-key-policy-asyncssh');
  const keyPath = join(dir, 'host_key');
  const chainPath = join(dir, 'host_chain.pem');
  await writeFile(keyPath, hostKey.exportPrivateKey('openssh'), { mode: 0o600 });
  await writeFile(chainPath, Buffer.concat([leaf.exportCertificate('pem'), mid.exportCertificate('pem')]));
  await writeFile(join(dir, 'root.pem'), root.exportCertificate('pem'));
  const hash = (await run('/usr/bin/openssl', ['x509', '-hash', '-noout', '-in', join(dir, 'root.pem')])).stdout.trim();
  await mkdir(join(dir, 'crt'));
  await writeFile(join(dir, 'crt', `${hash}.0`), root.exportCertificate('pem'));
  server = await startAsyncsshServer({
    script: "server_options = {'server_host_keys': asyncssh.load_keypairs([(params['key'], params['chain'])])}",
    params: { key: keyPath, chain: chainPath },
  });
});
afterAll(async () => {
  await server.stop();
  await removeTempDir(dir);
});

async function ours(c: Case, port: number): Promise<'accept' | 'reject'> {
  const v = await createHostKeyVerifier({
    host: 'localhost',
    port,
    peerAddress: '127.0.0.1',
    knownHosts: new TextEncoder().encode(c.knownHosts(port)),
    x509TrustedCerts: c.root ? [root] : [],
    x509TrustedCertPaths: c.rootDir ? [join(dir, 'crt')] : [],
    homeDirectory: dir,
    ...(c.alias ? { hostKeyAlias: c.alias } : {}),
    ...(c.purposes ? { x509Purposes: c.purposes } : {}),
  });
  const presented: HostKeyInput = c.alg === X509_ALG ? chain : hostKey.convertToPublic();
  try {
    await v.verify(presented, c.alg);
    return 'accept';
  } catch (e) {
    expect(e).toBeInstanceOf(HostKeyNotVerifiable);
    return 'reject';
  }
}

describe('the same decisions as the AsyncSSH client', () => {
  test('every case', async () => {
    const port = server.port;
    const run = await runAsyncsshClient(SNIPPET, {
      params: {
        port,
        cases: CASES.map((c) => ({
          knownHosts: c.knownHosts(port),
          roots: c.root ? [join(dir, 'root.pem')] : [],
          paths: c.rootDir ? [join(dir, 'crt')] : [],
          alg: c.alg,
          alias: c.alias ?? null,
          purposes: c.purposes ?? null,
        })),
      },
      timeoutMs: 60_000,
    });
    const theirs = run.result as string[];
    const table = await Promise.all(CASES.map(async (c, i) => ({ name: c.name, expected: c.expected, asyncssh: theirs[i], ours: await ours(c, port) })));
    expect(table).toEqual(CASES.map((c) => ({ name: c.name, expected: c.expected, asyncssh: c.asyncssh ?? c.expected, ours: c.expected })));
  });
});
