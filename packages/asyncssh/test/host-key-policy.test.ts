import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  encodeX509Blob,
  generatePrivateKey,
  hashHostname,
  importKnownHosts,
  KeyImportError,
  matchKnownHosts,
  SSHCertificate,
  type SSHKey,
  type SSHX509Certificate,
} from '@ssh/keys';
import { AlgorithmListError, UnknownAlgorithmError } from '@ssh/crypto';
import { DisconnectError, HostKeyNotVerifiable } from '@ssh/transport';
import { createHostKeyVerifier, type HostKeyInput, type HostKeyPolicyOptions, type HostKeyVerifier } from '../src/host-key-policy.ts';

const NOW = 1_800_000_000; // seconds
const now = () => NOW * 1000;

const hostKey = generatePrivateKey('ssh-ed25519', { comment: 'host' });
const otherKey = generatePrivateKey('ecdsa-sha2-nistp256', { comment: 'other' });
const caKey = generatePrivateKey('ssh-ed25519', { comment: 'ca' });
const rogueCa = generatePrivateKey('ecdsa-sha2-nistp384', { comment: 'rogue ca' });

const pub = (key: SSHKey): string => new TextDecoder().decode(key.exportPublicKey()).trim();

let dir: string;
let n = 0;
async function file(text: string | Uint8Array): Promise<string> {
  const path = join(dir, `known_hosts-${++n}`);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'host-key-policy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A verifier with X.509 defaults pointed at an empty home, so the machine's own files never count. */
async function policy(options: Partial<HostKeyPolicyOptions> & Pick<HostKeyPolicyOptions, 'knownHosts'>): Promise<HostKeyVerifier> {
  return createHostKeyVerifier({ host: 'server.example.com', port: 22, homeDirectory: join(dir, 'no-home'), now, ...options });
}

async function refusal(v: HostKeyVerifier, key: HostKeyInput): Promise<HostKeyNotVerifiable> {
  const error: unknown = await v.verify(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostKeyNotVerifiable);
  return error as HostKeyNotVerifiable;
}

describe('plain host keys from known_hosts files', () => {
  test('a listed key is trusted, another key is refused with host, type, fingerprint and reason', async () => {
    const v = await policy({ knownHosts: await file(`server.example.com ${pub(hostKey)}\n`) });
    await expect(v.verify(hostKey, 'ssh-ed25519')).resolves.toBeUndefined();
    const e = await refusal(v, otherKey);
    expect(e).toBeInstanceOf(DisconnectError);
    expect(e.reasonCode).toBe(9);
    expect(e.message).toContain('server.example.com');
    expect(e.message).toContain('ecdsa-sha2-nistp256');
    expect(e.message).toContain(otherKey.getFingerprint());
    expect(e.message).toContain(`other keys for this host (ssh-ed25519 ${hostKey.getFingerprint()})`);
  });

  test('entries for other hosts do not count', async () => {
    const v = await policy({ knownHosts: await file(`other.example.com ${pub(hostKey)}\n`) });
    expect((await refusal(v, hostKey)).message).toMatch(/no known_hosts entry matches this host \[searched .*known_hosts-\d+\]/);
  });

  test('non-default ports: [host]:port entries decide; plain host entries only when none lists a key', async () => {
    const path = await file(`[server.example.com]:2222 ${pub(hostKey)}\nserver.example.com ${pub(otherKey)}\n`);
    const on2222 = await policy({ knownHosts: path, port: 2222 });
    await on2222.verify(hostKey);
    const e = await refusal(on2222, otherKey);
    expect(e.message).toContain('[server.example.com]:2222');
    expect(e.message).toContain(`other keys for this host (ssh-ed25519 ${hostKey.getFingerprint()})`);
    const on22 = await policy({ knownHosts: path });
    await on22.verify(otherKey);
    await refusal(on22, hostKey);
    const on2200 = await policy({ knownHosts: path, port: 2200 });
    await on2200.verify(otherKey);
    await refusal(on2200, hostKey);
    expect(on2200.trust.withoutPort?.hostKeys).toHaveLength(1);
    // A revocation counts where the lookup reaches it.
    const revokedPlain = await file(`[server.example.com]:2222 ${pub(hostKey)}\n@revoked server.example.com ${pub(hostKey)}\n@revoked server.example.com ${pub(otherKey)}\nserver.example.com ${pub(otherKey)}\n`);
    await (await policy({ knownHosts: revokedPlain, port: 2222 })).verify(hostKey);
    expect((await refusal(await policy({ knownHosts: revokedPlain, port: 2200 }), otherKey)).message).toContain('@revoked');
  });

  test('hashed entries, with and without a port', async () => {
    const path = await file(`${hashHostname('server.example.com')} ${pub(hostKey)}\n${hashHostname('server.example.com', 2222)} ${pub(otherKey)}\n`);
    await (await policy({ knownHosts: path })).verify(hostKey);
    await refusal(await policy({ knownHosts: path }), otherKey);
    await (await policy({ knownHosts: path, port: 2222 })).verify(otherKey);
    await refusal(await policy({ knownHosts: path, port: 2222 }), hostKey);
    await (await policy({ knownHosts: path, port: 2223 })).verify(hostKey);
    await refusal(await policy({ knownHosts: path, port: 2223 }), otherKey);
    await refusal(await policy({ knownHosts: path, host: 'elsewhere.example.com' }), hostKey);
  });

  test('wildcards and negation', async () => {
    const path = await file(`*.example.com,!bad.example.com ${pub(hostKey)}\nserver?.example.org ${pub(otherKey)}\n`);
    await (await policy({ knownHosts: path })).verify(hostKey);
    await (await policy({ knownHosts: path, host: 'SERVER.Example.COM' })).verify(hostKey);
    await refusal(await policy({ knownHosts: path, host: 'bad.example.com' }), hostKey);
    await (await policy({ knownHosts: path, host: 'server1.example.org' })).verify(otherKey);
    await refusal(await policy({ knownHosts: path, host: 'server10.example.org' }), otherKey);
  });

  test('the peer address matches too; a negated address disables the entry', async () => {
    const path = await file(`192.0.2.7 ${pub(hostKey)}\nserver.example.com,!192.0.2.8 ${pub(otherKey)}\n`);
    await (await policy({ knownHosts: path, peerAddress: '192.0.2.7' })).verify(hostKey);
    await refusal(await policy({ knownHosts: path }), hostKey);
    await (await policy({ knownHosts: path, peerAddress: '192.0.2.7' })).verify(otherKey);
    await refusal(await policy({ knownHosts: path, peerAddress: '192.0.2.8' }), otherKey);
  });

  test('hostKeyAlias is looked up instead of the host', async () => {
    const path = await file(`alias.internal ${pub(hostKey)}\nserver.example.com ${pub(otherKey)}\n`);
    const v = await policy({ knownHosts: path, hostKeyAlias: 'alias.internal' });
    await v.verify(hostKey);
    const e = await refusal(v, otherKey);
    expect(e.message).toContain('alias.internal (alias of server.example.com)');
  });

  test('an alias is looked up as [alias]:port, then as alias; addresses do not count', async () => {
    const plain = await file(`alias.internal ${pub(hostKey)}\n192.0.2.9 ${pub(caKey)}\n[192.0.2.9]:2222 ${pub(caKey)}\n`);
    const v = await policy({ knownHosts: plain, hostKeyAlias: 'alias.internal', port: 2222, peerAddress: '192.0.2.9' });
    await v.verify(hostKey);
    expect((await refusal(v, otherKey)).message).toContain('alias.internal (alias of [server.example.com]:2222)');
    await refusal(v, caKey);
    const withPort = await file(`[alias.internal]:2222 ${pub(otherKey)}\nalias.internal ${pub(hostKey)}\n`);
    const w = await policy({ knownHosts: withPort, hostKeyAlias: 'alias.internal', port: 2222 });
    await w.verify(otherKey);
    await refusal(w, hostKey);
  });

  test('a list of files: entries from each count', async () => {
    const a = await file(`server.example.com ${pub(hostKey)}\n`);
    const b = await file(`server.example.com ${pub(otherKey)}\n`);
    const v = await policy({ knownHosts: [a, b] });
    await v.verify(hostKey);
    await v.verify(otherKey);
    await refusal(v, caKey);
  });
});

describe('@revoked and the validateHostPublicKey hook', () => {
  test('a revoked key is refused even when also listed, and the hook is not asked', async () => {
    let asked = 0;
    const path = await file(`server.example.com ${pub(hostKey)}\n@revoked * ${pub(hostKey)}\n`);
    const v = await policy({ knownHosts: path, validateHostPublicKey: () => ++asked > 0 });
    expect((await refusal(v, hostKey)).message).toContain('marked @revoked');
    expect(asked).toBe(0);
  });

  test('the hook decides on unlisted keys, sync or async, with the lookup name, address and port', async () => {
    const calls: unknown[][] = [];
    const v = await policy({
      knownHosts: await file(''),
      port: 2200,
      peerAddress: '198.51.100.1',
      hostKeyAlias: 'alias',
      validateHostPublicKey: async (host, addr, port, key) => {
        calls.push([host, addr, port, key.getFingerprint()]);
        return key.equals(hostKey);
      },
    });
    await v.verify(hostKey);
    await refusal(v, otherKey);
    expect(calls).toEqual([
      ['alias', '198.51.100.1', 2200, hostKey.getFingerprint()],
      ['alias', '198.51.100.1', 2200, otherKey.getFingerprint()],
    ]);
  });
});

describe('OpenSSH host certificates', () => {
  const cert = (opts: { principals?: string[]; validAfter?: number; validBefore?: number; ca?: SSHKey; user?: boolean } = {}): SSHCertificate => {
    const ca = opts.ca ?? caKey;
    const o = { principals: opts.principals ?? ['server.example.com'], validAfter: opts.validAfter ?? NOW - 60, validBefore: opts.validBefore ?? NOW + 3600, now: NOW };
    return opts.user ? ca.generateUserCertificate(hostKey, 'id', o) : ca.generateHostCertificate(hostKey, 'id', o);
  };
  let caPath: string;
  beforeAll(async () => {
    caPath = await file(`@cert-authority *.example.com ${pub(caKey)}\n`);
  });

  test('a valid certificate from a listed CA is trusted, as an object or as the K_S blob', async () => {
    const v = await policy({ knownHosts: caPath });
    await v.verify(cert(), 'ssh-ed25519-cert-v01@openssh.com');
    await v.verify(cert().publicData);
    await v.verify(cert({ principals: [] }));
  });

  test('expired, not yet valid, wrong principal, user type, unknown CA are refused', async () => {
    const v = await policy({ knownHosts: caPath });
    expect((await refusal(v, cert({ validBefore: NOW - 1, validAfter: NOW - 100 }))).message).toContain('expired');
    expect((await refusal(v, cert({ validAfter: NOW + 100 }))).message).toContain('not yet valid');
    expect((await refusal(v, cert({ principals: ['other.example.com'] }))).message).toContain('not valid for principal "server.example.com"');
    expect((await refusal(v, cert({ user: true }))).message).toContain('user certificate, not host');
    const e = await refusal(v, cert({ ca: rogueCa }));
    expect(e.message).toContain('not a known_hosts @cert-authority');
    expect(e.message).toContain(rogueCa.getFingerprint());
    expect(e.message).toContain('ssh-ed25519-cert-v01@openssh.com certificate');
  });

  test('a CA listed for other hosts does not count, nor a plain-key listing of the CA', async () => {
    await refusal(await policy({ knownHosts: await file(`@cert-authority *.example.org ${pub(caKey)}\n`) }), cert());
    await refusal(await policy({ knownHosts: await file(`server.example.com ${pub(caKey)}\n`) }), cert());
  });

  test('a certificate that fails is judged again as its plain key, unless revoked', async () => {
    const plain = await file(`server.example.com ${pub(hostKey)}\n`);
    await (await policy({ knownHosts: plain })).verify(cert({ ca: rogueCa }));
    await (await policy({ knownHosts: await file(`@cert-authority * ${pub(caKey)}\nserver.example.com ${pub(hostKey)}\n`) })).verify(cert({ principals: ['other.example.com'] }));
    await refusal(await policy({ knownHosts: await file(`server.example.com ${pub(hostKey)}\n@revoked * ${pub(caKey)}\n`) }), cert());
    await refusal(await policy({ knownHosts: await file(`server.example.com ${pub(otherKey)}\n`) }), cert({ ca: rogueCa }));
  });

  test('a tampered certificate is refused', async () => {
    const blob = cert().publicData.slice();
    blob[blob.length - 5] = (blob[blob.length - 5] ?? 0) ^ 1;
    expect((await refusal(await policy({ knownHosts: caPath }), new SSHCertificate(blob))).message).toContain('signature is invalid');
  });

  test('a revoked CA or a revoked certified key is refused', async () => {
    const revokedCa = await file(`@cert-authority * ${pub(caKey)}\n@revoked * ${pub(caKey)}\n`);
    expect((await refusal(await policy({ knownHosts: revokedCa }), cert())).message).toContain('CA key is marked @revoked');
    const revokedKey = await file(`@cert-authority * ${pub(caKey)}\n@revoked server.example.com ${pub(hostKey)}\n`);
    expect((await refusal(await policy({ knownHosts: revokedKey }), cert())).message).toContain('its key is marked @revoked');
  });

  test('principals are checked against the alias', async () => {
    const v = await policy({ knownHosts: await file(`@cert-authority alias.internal ${pub(caKey)}\n`), hostKeyAlias: 'alias.internal' });
    await v.verify(cert({ principals: ['alias.internal'] }));
    await refusal(v, cert());
  });

  describe('the CA signature algorithm (caSignatureAlgs, OpenSSH CASignatureAlgorithms)', () => {
    const rsaCa = generatePrivateKey('ssh-rsa', { keySize: 2048, comment: 'rsa ca' });
    const signedWith = (sigAlg: string) =>
      rsaCa.generateHostCertificate(hostKey, 'id', { principals: ['server.example.com'], validAfter: NOW - 60, validBefore: NOW + 3600, now: NOW, sigAlg });
    let rsaCaPath: string;
    beforeAll(async () => {
      rsaCaPath = await file(`@cert-authority *.example.com ${pub(rsaCa)}\n`);
    });

    test('a certificate signed with ssh-rsa (SHA-1) is refused by default, naming the algorithm', async () => {
      const e = await refusal(await policy({ knownHosts: rsaCaPath }), signedWith('ssh-rsa'));
      expect(e.message).toContain('host certificate for server.example.com is not trusted');
      expect(e.message).toContain('signed with "ssh-rsa", which is not an allowed CA signature algorithm');
    });

    test('by default, rsa-sha2-512 and rsa-sha2-256 are allowed where ssh-rsa is not', async () => {
      const v = await policy({ knownHosts: rsaCaPath });
      await v.verify(signedWith('rsa-sha2-512'));
      await v.verify(signedWith('rsa-sha2-256'));
      await refusal(v, signedWith('ssh-rsa'));
    });

    test('a list that allows ssh-rsa accepts it, in any of its forms; one that does not, refuses it', async () => {
      for (const caSignatureAlgs of ['+ssh-rsa', '^ssh-rsa', 'ssh-rsa', 'ssh-*', ['ssh-rsa']]) {
        await (await policy({ knownHosts: rsaCaPath, caSignatureAlgs })).verify(signedWith('ssh-rsa'));
      }
      for (const caSignatureAlgs of ['rsa-*', '-ssh-ed25519', ['rsa-sha2-512', 'ssh-dss']]) {
        await refusal(await policy({ knownHosts: rsaCaPath, caSignatureAlgs }), signedWith('ssh-rsa'));
      }
    });

    test('a list that leaves an algorithm out refuses certificates signed with it', async () => {
      expect((await refusal(await policy({ knownHosts: rsaCaPath, caSignatureAlgs: '-rsa-sha2-512' }), signedWith('rsa-sha2-512'))).message).toContain('"rsa-sha2-512"');
      await (await policy({ knownHosts: rsaCaPath, caSignatureAlgs: '-rsa-sha2-512' })).verify(signedWith('rsa-sha2-256'));
      await refusal(await policy({ knownHosts: caPath, caSignatureAlgs: ['rsa-sha2-512'] }), cert());
    });

    test('refused for its CA signature, a certificate is still judged as its plain key', async () => {
      const plain = (key: SSHKey) => file(`@cert-authority *.example.com ${pub(rsaCa)}\nserver.example.com ${pub(key)}\n`);
      await (await policy({ knownHosts: await plain(hostKey) })).verify(signedWith('ssh-rsa'));
      expect((await refusal(await policy({ knownHosts: await plain(otherKey) }), signedWith('ssh-rsa'))).message).toContain('"ssh-rsa"');
    });

    test('a malformed list is a typed error', async () => {
      await expect(policy({ knownHosts: rsaCaPath, caSignatureAlgs: 'rsa-sha2-512,,ssh-rsa' })).rejects.toBeInstanceOf(AlgorithmListError);
      await expect(policy({ knownHosts: rsaCaPath, caSignatureAlgs: 'rsa-sha2-1024' })).rejects.toBeInstanceOf(UnknownAlgorithmError);
    });
  });

  test('validateHostCaKey decides on unlisted CAs; the certificate is still checked', async () => {
    const v = await policy({ knownHosts: await file(''), validateHostCaKey: (_h, _a, _p, key) => key.equals(rogueCa) });
    await v.verify(cert({ ca: rogueCa }));
    await refusal(v, cert());
    expect((await refusal(v, cert({ ca: rogueCa, validBefore: NOW - 1, validAfter: NOW - 10 }))).message).toContain('expired');
  });
});

describe('X.509 host certificates', () => {
  const rootKey = generatePrivateKey('ecdsa-sha2-nistp256');
  const midKey = generatePrivateKey('ssh-ed25519');
  const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Root,O=Example', { validAfter: NOW - 100, validBefore: NOW + 86400, now: NOW });
  const mid = rootKey.generateX509CaCertificate(midKey, 'CN=Mid,O=Example', { issuerCert: root, validAfter: NOW - 100, validBefore: NOW + 86400, now: NOW });
  const leaf = (principals = ['server.example.com'], purposes?: string): SSHX509Certificate =>
    midKey.generateX509HostCertificate(hostKey, 'CN=server,O=Example', {
      issuerCert: mid,
      principals,
      validAfter: NOW - 100,
      validBefore: NOW + 86400,
      now: NOW,
      ...(purposes ? { purposes } : {}),
    });
  const chain = (principals?: string[]) => [leaf(principals), mid];
  const der64 = (c: SSHX509Certificate) => Buffer.from(c.data).toString('base64');

  test('a chain to a trusted root is trusted, as certificates or as the x509v3 K_S blob', async () => {
    const v = await policy({ knownHosts: await file(''), x509TrustedCerts: [root] });
    await v.verify(chain());
    await v.verify(encodeX509Blob('x509v3-ssh-ed25519', chain()));
  });

  test('wrong host, wrong purpose, unknown root, X.509 disabled are refused', async () => {
    const empty = await file('');
    const v = await policy({ knownHosts: empty, x509TrustedCerts: [root] });
    expect((await refusal(v, chain(['other.example.com']))).message).toContain('not valid for "server.example.com"');
    expect((await refusal(v, [leaf(['server.example.com'], 'clientAuth'), mid])).message).toContain('purposes');
    await (await policy({ knownHosts: empty, x509TrustedCerts: [root], x509Purposes: 'any' })).verify([leaf(['server.example.com'], 'clientAuth'), mid]);
    expect((await refusal(await policy({ knownHosts: empty, x509TrustedCerts: [] }), chain())).message).toContain('no trusted issuer');
    expect((await refusal(await policy({ knownHosts: empty, x509TrustedCerts: null }), chain())).message).toContain('disabled');
    expect((await refusal(await policy({ knownHosts: empty, x509TrustedCerts: [root], now: () => (NOW + 2 * 86400) * 1000 }), chain())).message).toContain('expired');
  });

  test('roots from PEM files, certificate directories and the default ~/.ssh/ca-bundle.crt', async () => {
    const pem = join(dir, 'root.pem');
    await writeFile(pem, root.exportCertificate('pem'));
    await (await policy({ knownHosts: await file(''), x509TrustedCerts: pem })).verify(chain());
    const certDir = join(dir, 'crt');
    await mkdir(certDir, { recursive: true });
    await writeFile(join(certDir, 'abcd1234.0'), root.exportCertificate('pem'));
    await writeFile(join(certDir, 'README'), 'not a certificate');
    await (await policy({ knownHosts: await file(''), x509TrustedCerts: [], x509TrustedCertPaths: [certDir] })).verify(chain());
    const home = join(dir, 'home-x509');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.ssh', 'ca-bundle.crt'), root.exportCertificate('pem'));
    await (await policy({ knownHosts: await file(''), homeDirectory: home })).verify(chain());
    await expect(policy({ knownHosts: await file(''), x509TrustedCerts: join(dir, 'missing.pem') })).rejects.toThrow(KeyImportError);
    await expect(policy({ knownHosts: await file(''), x509TrustedCertPaths: [pem] })).rejects.toThrow(/not a readable directory/);
  });

  test('known_hosts certificate, subject and @revoked entries', async () => {
    const self = hostKey.generateX509HostCertificate(hostKey, 'CN=server,O=Example', { principals: ['server.example.com'], validAfter: NOW - 100, validBefore: NOW + 86400, now: NOW });
    await (await policy({ knownHosts: await file(`server.example.com x509v3-ssh-ed25519 ${der64(self)}\n`), x509TrustedCerts: [] })).verify([self]);
    await (await policy({ knownHosts: await file(`@cert-authority * x509v3-ecdsa-sha2-nistp256 ${der64(root)}\n`), x509TrustedCerts: [] })).verify(chain());
    // A trusted subject replaces the host name check.
    // Subject patterns are AsyncSSH's: most significant RDN first, `,*` for a prefix.
    const bySubject = await policy({ knownHosts: await file('server.example.com x509v3-ssh-ed25519 Subject:O=Example, CN=server\n'), x509TrustedCerts: [root] });
    await bySubject.verify(chain(['another.name']));
    const byPrefix = await policy({ knownHosts: await file('server.example.com x509v3-ssh-ed25519 Subject:O=Example,*\n'), x509TrustedCerts: [root] });
    await byPrefix.verify(chain(['another.name']));
    for (const pattern of ['O=Example,CN=else', 'CN=server,O=Example', 'CN=server,*', 'O=Example']) {
      const otherSubject = await policy({ knownHosts: await file(`server.example.com x509v3-ssh-ed25519 Subject:${pattern}\n`), x509TrustedCerts: [root] });
      expect((await refusal(otherSubject, chain())).message).toContain('matches none of the X.509 subjects');
    }
    const revokedSubject = await policy({ knownHosts: await file('@revoked * x509v3-ssh-ed25519 Subject:O=Example,*\n'), x509TrustedCerts: [root] });
    expect((await refusal(revokedSubject, chain())).message).toContain('subject is marked @revoked');
    const revokedMid = await policy({ knownHosts: await file(`@revoked * x509v3-ssh-ed25519 ${der64(mid)}\n`), x509TrustedCerts: [root] });
    expect((await refusal(revokedMid, chain())).message).toContain('"CN=Mid,O=Example" in the chain is marked @revoked');
    const revokedRoot = await policy({ knownHosts: await file(`@revoked * x509v3-ecdsa-sha2-nistp256 ${der64(root)}\n`), x509TrustedCerts: [root] });
    await refusal(revokedRoot, chain());
  });
});

describe('the forms of knownHosts', () => {
  test('null accepts any key, certificate or blob, and keeps every algorithm', async () => {
    const v = await policy({ knownHosts: null });
    expect(v.checking).toBe(false);
    await v.verify(otherKey);
    await v.verify(new Uint8Array([1, 2, 3]));
    expect(v.preferredAlgorithms(['ssh-ed25519', 'rsa-sha2-256'])).toEqual(['ssh-ed25519', 'rsa-sha2-256']);
  });

  test('bytes, SSHKnownHosts, trust lists and a callable', async () => {
    const text = `server.example.com ${pub(hostKey)}\n`;
    await (await policy({ knownHosts: new TextEncoder().encode(text) })).verify(hostKey);
    await (await policy({ knownHosts: importKnownHosts(text) })).verify(hostKey);
    await (await policy({ knownHosts: matchKnownHosts(text, 'server.example.com') })).verify(hostKey);
    const lists = await policy({ knownHosts: { hostKeys: [hostKey], revokedKeys: [otherKey], caKeys: [caKey] } });
    await lists.verify(hostKey);
    expect((await refusal(lists, otherKey)).message).toContain('@revoked');
    await lists.verify(caKey.generateHostCertificate(rogueCa, 'id', { now: NOW }));
    await refusal(lists, caKey.generateHostCertificate(otherKey, 'id', { now: NOW }));
    const seen: unknown[] = [];
    const callable = await policy({
      port: 2022,
      peerAddress: '::1',
      knownHosts: async (host, addr, port) => {
        seen.push([host, addr, port]);
        return { hostKeys: [otherKey] };
      },
    });
    await callable.verify(otherKey);
    await refusal(callable, hostKey);
    expect(seen).toEqual([['server.example.com', '::1', 2022]]);
  });

  test('a missing named file is a KeyImportError naming it; a directory too', async () => {
    const missing = join(dir, 'does-not-exist');
    await expect(policy({ knownHosts: missing })).rejects.toThrow(KeyImportError);
    await expect(policy({ knownHosts: missing })).rejects.toThrow(`cannot read known_hosts file ${missing} (ENOENT)`);
    await expect(policy({ knownHosts: [await file(''), dir] })).rejects.toThrow(KeyImportError);
  });

  test('the default ~/.ssh/known_hosts: used when present, nothing trusted when missing', async () => {
    const home = join(dir, 'home-kh');
    const missing = await createHostKeyVerifier({ host: 'server.example.com', port: 22, homeDirectory: home });
    expect((await refusal(missing, hostKey)).message).toContain(`${join(home, '.ssh', 'known_hosts')} does not exist or is not readable`);
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.ssh', 'known_hosts'), `server.example.com ${pub(hostKey)}\n`);
    const present = await createHostKeyVerifier({ host: 'server.example.com', port: 22, homeDirectory: home });
    await present.verify(hostKey);
    await refusal(present, otherKey);
  });

  test('malformed lines are skipped and reported, the rest still counts', async () => {
    const path = await file(`garbage line here\n@bogus-marker x ${pub(hostKey)}\n|1|bad|hash ${pub(hostKey)}\nserver.example.com ssh-ed25519 AAAA!!\nother.example.com ${pub(otherKey)}\n`);
    const v = await policy({ knownHosts: path });
    const e = await refusal(v, hostKey);
    expect(e.message).toContain(`4 unreadable lines in ${path} skipped (lines 1, 2, 3, 4)`);
    await (await policy({ knownHosts: path, host: 'other.example.com' })).verify(otherKey);
    const binary = await file(new Uint8Array([0, 255, 10, 0xc3, 0x28, 13, 10, 7]));
    expect((await refusal(await policy({ knownHosts: binary }), hostKey)).message).toContain('unreadable line');
  });

  test('an unreadable K_S blob is refused, not thrown as something else', async () => {
    const v = await policy({ knownHosts: { hostKeys: [hostKey] } });
    for (const blob of [new Uint8Array(0), new Uint8Array([0, 0, 0, 3, 0x61, 0x62]), new TextEncoder().encode('\0\0\0\x0bssh-ed25519\0\0\0\x01x')]) {
      expect((await refusal(v, blob)).message).toContain('cannot be read');
    }
    await v.verify(hostKey.publicData);
  });

  test('every truncation of a key, certificate or X.509 blob is refused as HostKeyNotVerifiable', async () => {
    const v = await policy({ knownHosts: { hostKeys: [hostKey], caKeys: [caKey] }, x509TrustedCerts: [] });
    const self = hostKey.generateX509HostCertificate(hostKey, 'CN=server', { now: NOW });
    const blobs = [hostKey.publicData, caKey.generateHostCertificate(hostKey, 'id', { now: NOW }).publicData, encodeX509Blob('x509v3-ssh-ed25519', [self])];
    for (const blob of blobs) {
      for (let cut = 0; cut < blob.length; cut += 7) await refusal(v, blob.subarray(0, cut));
    }
  });
});

describe('preferredAlgorithms', () => {
  const ALL = [
    'x509v3-ssh-ed25519',
    'ssh-ed25519-cert-v01@openssh.com',
    'rsa-sha2-512-cert-v01@openssh.com',
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const rsa = generatePrivateKey('ssh-rsa', { keySize: 1024 });

  test('narrowed to the listed keys, in the client order', async () => {
    const v = await policy({ knownHosts: { hostKeys: [rsa, otherKey] }, x509TrustedCerts: null });
    expect(v.preferredAlgorithms(ALL)).toEqual(['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  test('certificate algorithms first when a CA is listed, X.509 first when roots are trusted', async () => {
    const ca = await policy({ knownHosts: { hostKeys: [hostKey], caKeys: [caKey] }, x509TrustedCerts: null });
    expect(ca.preferredAlgorithms(ALL)).toEqual(['ssh-ed25519-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'ssh-ed25519']);
    const root = caKey.generateX509CaCertificate(caKey, 'CN=r');
    const x509 = await policy({ knownHosts: { hostKeys: [hostKey] }, x509TrustedCerts: [root] });
    expect(x509.preferredAlgorithms(ALL)).toEqual(['x509v3-ssh-ed25519', 'ssh-ed25519']);
  });

  test('nothing listed: every non-X.509 algorithm; nothing left: everything', async () => {
    const none = await policy({ knownHosts: {} });
    expect(none.preferredAlgorithms(ALL)).toEqual(ALL.slice(1));
    const unsupported = await policy({ knownHosts: { hostKeys: [otherKey] } });
    expect(unsupported.preferredAlgorithms(['ssh-ed25519'])).toEqual(['ssh-ed25519']);
  });
});
