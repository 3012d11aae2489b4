/**
 * Our transport against real peers: OpenSSH's sshd and AsyncSSH's server as servers, OpenSSH's ssh
 * and AsyncSSH as clients of ours. Each algorithm both sides implement gets its own connection.
 */
import { createStandardRegistry } from '@ssh/crypto';
import { generatePrivateKey, importPublicKey } from '@ssh/keys';
import {
  PYTHON,
  run,
  runAsyncsshClient,
  runSsh,
  startAsyncsshServer,
  startSshd,
  type AsyncsshServer,
  type SshdServer,
} from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHandshake, startOurServer, type HandshakeResult, type OurServer } from './helpers/node-peer.ts';

const registry = createStandardRegistry();
const ours = {
  kex: registry.names('kex'),
  cipher: registry.names('cipher'),
  mac: registry.names('mac'),
};

async function openSshList(kind: 'kex' | 'cipher' | 'mac' | 'HostKeyAlgorithms'): Promise<string[]> {
  const { stdout } = await run('ssh', ['-Q', kind]);
  return stdout.split('\n').filter(Boolean);
}

async function asyncsshLists(): Promise<{ kex: string[]; cipher: string[]; mac: string[] }> {
  const script = [
    'import json, warnings',
    "warnings.simplefilter('ignore')",
    'from asyncssh.kex import get_kex_algs',
    'from asyncssh.encryption import get_encryption_algs',
    'from asyncssh.mac import get_mac_algs',
    "d = lambda l: [a.decode() for a in l if not a.startswith(b'gss')]",
    "print(json.dumps({'kex': d(get_kex_algs()), 'cipher': d(get_encryption_algs()), 'mac': d(get_mac_algs())}))",
  ].join('\n');
  const { stdout } = await run(PYTHON, ['-c', script]);
  return JSON.parse(stdout) as { kex: string[]; cipher: string[]; mac: string[] };
}

const shared = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => b.includes(x));

function expectHandshake(r: HandshakeResult, expected: Record<string, string>): void {
  const failures = r.events.filter((e) => e.type === 'disconnect' && !e.byPeer);
  expect(failures).toEqual([]);
  const done = r.events.find((e) => e.type === 'kex-complete');
  expect(done).toMatchObject({ algorithms: expected });
  expect(r.serviceAccepted).toBe(true);
}

describe('our client against OpenSSH sshd', () => {
  let sshd: SshdServer;
  const lists = { kex: [] as string[], cipher: [] as string[], mac: [] as string[], hostKey: [] as string[] };

  beforeAll(async () => {
    const [kex, cipher, mac, hostKey] = await Promise.all(['kex', 'cipher', 'mac', 'HostKeyAlgorithms'].map((k) => openSshList(k as 'kex')));
    lists.kex = shared(ours.kex, kex as string[]).filter((k) => !k.startsWith('diffie-hellman-group1-'));
    lists.cipher = shared(ours.cipher, cipher as string[]);
    lists.mac = shared(ours.mac, mac as string[]);
    lists.hostKey = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].filter((h) =>
      (hostKey as string[]).includes(h),
    );
    sshd = await startSshd({
      config: [
        `KexAlgorithms ${lists.kex.join(',')}`,
        `Ciphers ${lists.cipher.join(',')}`,
        `MACs ${lists.mac.join(',')}`,
        `HostKeyAlgorithms ${lists.hostKey.join(',')}`,
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  it('shares enough algorithms to be worth testing', () => {
    expect(lists.kex).toContain('curve25519-sha256');
    expect(lists.cipher).toContain('chacha20-poly1305@openssh.com');
    expect(lists.mac).toContain('umac-64-etm@openssh.com');
  });

  it('completes the default handshake and verifies the host key sshd really has', async () => {
    const r = await clientHandshake(sshd.port);
    expectHandshake(r, {});
    const fingerprints = sshd.hostPublicKeys.map((line) => importPublicKey(line).getFingerprint());
    expect(fingerprints).toContain(r.hostKey?.getFingerprint());
  }, 120_000);

  it('negotiates every shared key exchange', async () => {
    for (const kex of lists.kex) expectHandshake(await clientHandshake(sshd.port, { kexAlgorithms: [kex] }), { kex });
  }, 120_000);

  it('negotiates every shared cipher', async () => {
    for (const cipher of lists.cipher) {
      expectHandshake(await clientHandshake(sshd.port, { encryptionAlgorithms: [cipher] }), { cipherClientToServer: cipher, cipherServerToClient: cipher });
    }
  }, 120_000);

  it('negotiates every shared MAC', async () => {
    for (const mac of lists.mac) {
      expectHandshake(await clientHandshake(sshd.port, { encryptionAlgorithms: ['aes128-ctr'], macAlgorithms: [mac] }), { macClientToServer: mac });
    }
  }, 120_000);

  it('verifies every host key algorithm sshd offers', async () => {
    for (const hostKey of lists.hostKey) {
      const r = await clientHandshake(sshd.port, { hostKeyAlgorithms: [hostKey] });
      expectHandshake(r, { hostKey });
    }
  }, 120_000);
});

describe('our client against an AsyncSSH server', () => {
  let server: AsyncsshServer;
  const lists = { kex: [] as string[], cipher: [] as string[], mac: [] as string[] };

  beforeAll(async () => {
    const theirs = await asyncsshLists();
    lists.kex = shared(ours.kex, theirs.kex);
    lists.cipher = shared(ours.cipher, theirs.cipher);
    lists.mac = shared(ours.mac, theirs.mac);
    server = await startAsyncsshServer({
      params: lists,
      script:
        "server_options = dict(kex_algs=params['kex'], encryption_algs=params['cipher'], mac_algs=params['mac'], compression_algs=['zlib@openssh.com', 'zlib', 'none'])",
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('exchanges zlib-compressed packets from NEWKEYS on', async () => {
    const r = await clientHandshake(server.port, { compressionAlgorithms: ['zlib'] });
    expectHandshake(r, { compressionClientToServer: 'zlib', compressionServerToClient: 'zlib' });
  }, 120_000);

  it('negotiates every shared key exchange, cipher and MAC', async () => {
    expect(lists.kex.length).toBeGreaterThan(10);
    for (const kex of lists.kex) expectHandshake(await clientHandshake(server.port, { kexAlgorithms: [kex] }), { kex });
    for (const cipher of lists.cipher) expectHandshake(await clientHandshake(server.port, { encryptionAlgorithms: [cipher] }), { cipherClientToServer: cipher });
    for (const mac of lists.mac) {
      expectHandshake(await clientHandshake(server.port, { encryptionAlgorithms: ['aes256-ctr'], macAlgorithms: [mac] }), { macServerToClient: mac });
    }
  }, 120_000);
});

describe('OpenSSH and AsyncSSH clients against our server', () => {
  let server: OurServer;
  const hostKey = generatePrivateKey('ssh-ed25519');
  const target = () => ({ host: '127.0.0.1', port: server.port, name: 'our-server', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey())] });

  beforeAll(async () => {
    server = await startOurServer([hostKey, generatePrivateKey('ecdsa-sha2-nistp256'), generatePrivateKey('ssh-rsa', { keySize: 2048 })], {
      kexAlgorithms: ours.kex,
      encryptionAlgorithms: ours.cipher,
      macAlgorithms: ours.mac,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const lastCompleted = () => server.connections.at(-1)?.find((e) => e.type === 'kex-complete');

  it('completes key exchange with ssh for every kex and cipher ssh offers that we have', async () => {
    const [kexes, ciphers] = await Promise.all([openSshList('kex'), openSshList('cipher')]);
    for (const kex of shared(ours.kex, kexes).filter((k) => !k.startsWith('diffie-hellman-group1-'))) {
      const r = await runSsh(target(), 'true', { allowFailure: true, args: ['-o', `KexAlgorithms=${kex}`, '-v'], timeoutMs: 10_000 });
      expect(r.stderr).toContain(`kex: algorithm: ${kex}`);
      expect(lastCompleted()).toMatchObject({ algorithms: { kex } });
    }
    for (const cipher of shared(ours.cipher, ciphers)) {
      await runSsh(target(), 'true', { allowFailure: true, args: ['-o', `Ciphers=${cipher}`], timeoutMs: 10_000 });
      expect(lastCompleted()).toMatchObject({ algorithms: { cipherClientToServer: cipher } });
    }
    // ssh got as far as asking for user authentication, which this server refuses.
    expect(server.connections.at(-1)?.filter((e) => e.type === 'message').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('completes key exchange with AsyncSSH for every shared kex', async () => {
    const kexes = shared(ours.kex, (await asyncsshLists()).kex);
    const before = server.connections.length;
    // One Python process connects once per algorithm (interpreter start-up dominates otherwise).
    const snippet = [
      'result = []',
      "for alg in params['kex']:",
      '    try:',
      "        async with asyncssh.connect('127.0.0.1', params['port'], known_hosts=None, username='x', client_keys=None, agent_path=None, kex_algs=[alg]):",
      '            pass',
      '    except Exception as exc:',
      '        result.append(type(exc).__name__)',
    ].join('\n');
    const r = await runAsyncsshClient(snippet, { params: { kex: kexes, port: server.port }, timeoutMs: 60_000 });
    expect(r.result).toEqual(kexes.map(() => 'PermissionDenied'));
    const completed = server.connections.slice(before).map((events) => {
      const done = events.find((e) => e.type === 'kex-complete');
      return done?.type === 'kex-complete' ? done.algorithms.kex : undefined;
    });
    expect(completed).toEqual(kexes);
  }, 120_000);
});
