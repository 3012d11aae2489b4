/** SSHAgentClient against OpenSSH's ssh-agent, checked with ssh-add and ssh-keygen. */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type KeyType,
  type SshAgent,
  generateKey,
  makeTempDir,
  removeTempDir,
  runSshAdd,
  runSshKeygen,
  signCertificate,
  startSshAgent,
} from '@ssh/interop';
import { SSHKeyPair, generatePrivateKey, importCertificate, importPrivateKey } from '@ssh/keys';
import { Writer } from '@ssh/wire';
import { AgentFailureError, type SSHAgentClient, type SSHAgentKeyPair } from '../src/index.ts';
import { connectAgent } from '../src/node/index.ts';

let agent: SshAgent;
let client: SSHAgentClient;
let dir: string;

beforeAll(async () => {
  agent = await startSshAgent();
  client = await connectAgent(agent.socketPath, { timeoutMs: 10_000 });
  dir = await makeTempDir('agent-interop');
}, 30_000);

afterAll(async () => {
  client.close();
  await agent.stop();
  await removeTempDir(dir);
});

/** The one element of a list, failing the test otherwise. */
function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** `ssh-add -l`: fingerprints listed, or [] when the agent has none. */
async function listed(): Promise<string[]> {
  const r = await runSshAdd(['-l'], { agent, allowFailure: true });
  if (r.exitCode === 1 && /no identities/.test(r.stdout + r.stderr)) return [];
  expect(r.exitCode).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(/\s+/)[1] as string);
}

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An armored SSHSIG (OpenSSH PROTOCOL.sshsig) made by signing through the agent. */
async function agentSshsig(key: SSHAgentKeyPair, message: Uint8Array, namespace: string): Promise<string> {
  const magic = new TextEncoder().encode('SSHSIG');
  const digest = new Uint8Array(createHash('sha512').update(message).digest());
  const toSign = new Writer(128).raw(magic).utf8(namespace).bytes(new Uint8Array(0)).utf8('sha512').bytes(digest).finish();
  const sigAlg = key.algorithm === 'ssh-rsa' ? 'rsa-sha2-512' : key.sigAlgorithms[0];
  const signature = await key.sign(toSign, sigAlg);
  const blob = new Writer(512).raw(magic).u32(1).bytes(key.publicData).utf8(namespace).bytes(new Uint8Array(0)).utf8('sha512').bytes(signature).finish();
  const b64 = Buffer.from(blob).toString('base64').replace(/(.{70})/g, '$1\n');
  return `-----BEGIN SSH SIGNATURE-----\n${b64.trimEnd()}\n-----END SSH SIGNATURE-----\n`;
}

describe('keys added with ssh-add', () => {
  const types: KeyType[] = ['ed25519', 'ecdsa-p256', 'rsa'];

  it('are listed here with their comments and sign; signatures verify here and with ssh-keygen -Y', async () => {
    await client.removeAll();
    const pairs = await Promise.all(types.map(async (t) => generateKey(t, { label: `agent-${t}` })));
    for (const kp of pairs) await runSshAdd([kp.privateKeyPath], { agent });
    const keys = await client.getKeys();
    expect(keys.map((k) => k.key?.getFingerprint()).sort()).toEqual(pairs.map((p) => p.fingerprint).sort());
    const data = randomBytes(64);
    for (const kp of pairs) {
      const k = keys.find((x) => x.key?.getFingerprint() === kp.fingerprint) as SSHAgentKeyPair;
      expect(k.algorithm).toBe(kp.algorithm);
      expect(k.comment).toBe(kp.comment);
      expect(k.publicData).toEqual(new Uint8Array(kp.publicKeyBlob));
      const algs = kp.algorithm === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.sigAlgorithms[0] as string];
      for (const alg of algs) {
        const sig = await k.sign(data, alg);
        expect(k.key?.verify(data, sig)).toBe(true);
        // The agent honoured the flags: the blob names the requested algorithm.
        expect(new TextDecoder().decode(sig.subarray(4, 4 + new DataView(sig.buffer, sig.byteOffset).getUint32(0)))).toBe(alg);
      }
      const message = randomBytes(100);
      const sigPath = join(dir, `${kp.type}.sig`);
      await writeFile(sigPath, await agentSshsig(k, message, 'file'));
      const check = await runSshKeygen(['-Y', 'check-novalidate', '-n', 'file', '-s', sigPath], { input: message });
      expect(check.stdout).toMatch(/Good "file" signature/);
    }
  }, 60_000);
});

describe('keys added here', () => {
  it('appear in ssh-add -l with their fingerprints and sign here', async () => {
    await client.removeAll();
    const generated = [generatePrivateKey('ssh-ed25519', { comment: 'gen-ed25519' }), generatePrivateKey('ecdsa-sha2-nistp384', { comment: 'gen-p384' })];
    const fromKeygen = await Promise.all((['rsa', 'ecdsa-p521', 'dsa'] as const).map(async (t) => generateKey(t, { label: `add-${t}` })));
    const imported = fromKeygen.map((kp) => importPrivateKey(kp.privateKey));
    await client.addKeys([...generated, ...imported]);
    const want = [...generated, ...imported].map((k) => k.getFingerprint()).sort();
    expect((await listed()).sort()).toEqual(want);
    const l = await runSshAdd(['-l'], { agent });
    expect(l.stdout).toContain('gen-ed25519');
    expect(l.stdout).toContain('(DSA)');
    const data = randomBytes(32);
    for (const k of await client.getKeys()) {
      const local = [...generated, ...imported].find((x) => k.key !== undefined && x.equals(k.key));
      expect(local).toBeDefined();
      expect(local?.verify(data, await k.sign(data))).toBe(true);
    }
  }, 60_000);

  it('a key with its certificate is listed as the certificate and signs with certificate algorithms', async () => {
    await client.removeAll();
    const ca = await generateKey('ed25519', { label: 'agent-ca' });
    const userKey = await generateKey('ed25519', { label: 'agent-cert-user' });
    const cert = await signCertificate(ca, userKey, { identity: 'agent-test', principals: ['someone'] });
    const pair = new SSHKeyPair(importPrivateKey(userKey.privateKey), importCertificate(cert.line), 'with-cert');
    await client.addKeys([pair]);
    const l = await runSshAdd(['-l'], { agent });
    expect(l.stdout).toMatch(/ED25519-CERT/);
    const k = only(await client.getKeys());
    expect(k.algorithm).toBe('ssh-ed25519-cert-v01@openssh.com');
    expect(k.certificate?.publicData).toEqual(new Uint8Array(cert.blob));
    const data = randomBytes(16);
    const sig = await k.sign(data, 'ssh-ed25519-cert-v01@openssh.com');
    expect(pair.key.verify(data, sig)).toBe(true);
  }, 30_000);

  it('setCertificate presents a certificate for a plain key the agent holds', async () => {
    await client.removeAll();
    const ca = await generateKey('ed25519', { label: 'agent-ca' });
    const userKey = await generateKey('rsa', { label: 'agent-cert-rsa' });
    const cert = importCertificate((await signCertificate(ca, userKey, { identity: 'rsa-user' })).line);
    await client.addKeys([importPrivateKey(userKey.privateKey)]);
    const k = only(await client.getKeys());
    k.setCertificate(cert);
    expect(k.algorithm).toBe('ssh-rsa-cert-v01@openssh.com');
    expect(k.publicData).toEqual(cert.publicData);
    expect(k.sigAlgorithms).toContain('rsa-sha2-256-cert-v01@openssh.com');
    const data = randomBytes(16);
    const sig = await k.sign(data, 'rsa-sha2-256-cert-v01@openssh.com');
    expect(new TextDecoder().decode(sig.subarray(4, 16))).toBe('rsa-sha2-256');
    expect(cert.key.verify(data, sig)).toBe(true);
  }, 30_000);
});

describe('agent state', () => {
  it('lock hides the keys until unlock with the right passphrase', async () => {
    await client.removeAll();
    const key = generatePrivateKey('ssh-ed25519', { comment: 'lockable' });
    await client.addKeys([key]);
    await client.lock('s3cret');
    expect(await client.getKeys()).toEqual([]);
    expect(await listed()).toEqual([]);
    await expect(client.unlock('wrong')).rejects.toBeInstanceOf(AgentFailureError);
    await client.unlock('s3cret');
    expect(await listed()).toEqual([key.getFingerprint()]);
  }, 30_000);

  it('a lifetime constraint is honoured', async () => {
    await client.removeAll();
    const short = generatePrivateKey('ssh-ed25519', { comment: 'short-lived' });
    const lasting = generatePrivateKey('ssh-ed25519', { comment: 'lasting' });
    await client.addKeys([short], { lifetime: 2 });
    await client.addKeys([lasting]);
    // ssh-agent counts lifetimes in whole seconds of its clock, so a 2 s lifetime can end after just over 1 s:
    // presence is checked through this client, which takes milliseconds, not by spawning ssh-add.
    expect((await client.getKeys()).map((k) => k.comment).sort()).toEqual(['lasting', 'short-lived']);
    await sleep(3_200);
    expect(await listed()).toEqual([lasting.getFingerprint()]);
  }, 30_000);

  it('a confirm constraint is accepted, and signing then needs a confirmation the agent cannot get here', async () => {
    await client.removeAll();
    const key = generatePrivateKey('ssh-ed25519', { comment: 'confirm' });
    await client.addKeys([key], { confirm: true });
    expect(await listed()).toEqual([key.getFingerprint()]);
    const k = only(await client.getKeys());
    await expect(k.sign(randomBytes(8))).rejects.toBeInstanceOf(AgentFailureError);
  }, 30_000);

  it('removeKeys removes one key, removing it again fails, removeAll removes the rest', async () => {
    await client.removeAll();
    const a = generatePrivateKey('ssh-ed25519', { comment: 'a' });
    const b = generatePrivateKey('ecdsa-sha2-nistp256', { comment: 'b' });
    await client.addKeys([a, b]);
    const keys = await client.getKeys();
    await only(keys.filter((k) => k.comment === 'a')).remove();
    expect(await listed()).toEqual([b.getFingerprint()]);
    await expect(client.removeKeys([a])).rejects.toBeInstanceOf(AgentFailureError);
    await client.removeAll();
    expect(await listed()).toEqual([]);
  }, 30_000);

  it('session-bind@openssh.com: a valid binding is accepted, a bad signature refused', async () => {
    const hostKey = generatePrivateKey('ssh-ed25519');
    const sessionId = randomBytes(32);
    const bindClient = await connectAgent(agent.socketPath);
    try {
      await bindClient.bindSession({ hostKey: hostKey.publicData, sessionId, signature: hostKey.sign(sessionId), isForwarding: false });
    } finally {
      bindClient.close();
    }
    const other = await connectAgent(agent.socketPath);
    try {
      await expect(
        other.bindSession({ hostKey: hostKey.publicData, sessionId, signature: hostKey.sign(randomBytes(32)), isForwarding: false }),
      ).rejects.toBeInstanceOf(AgentFailureError);
    } finally {
      other.close();
    }
  }, 30_000);

  it('a PKCS#11 provider outside the allowed paths is refused, and the connection stays usable', async () => {
    await expect(client.addSmartcardKeys('/nonexistent/provider.so', '1234')).rejects.toBeInstanceOf(AgentFailureError);
    await expect(client.addSmartcardKeys('/nonexistent/provider.so', '1234', { lifetime: 5 })).rejects.toBeInstanceOf(AgentFailureError);
    await expect(client.removeSmartcardKeys('/nonexistent/provider.so')).rejects.toBeInstanceOf(AgentFailureError);
    await expect(client.getKeys()).resolves.toBeInstanceOf(Array);
  });

  it('queryExtensions: OpenSSH 9.2 does not implement "query", so the list is empty', async () => {
    expect(await client.queryExtensions()).toEqual([]);
  });
});
