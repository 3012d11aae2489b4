/**
 * Security-key (FIDO) client keys against OpenSSH: keys that ssh-keygen enrolled through an
 * OpenSSH middleware library (the soft provider of @ssh/interop), used from their handle files
 * with `securityKeyProvider`; keys we generate and resident keys we load, logging in to sshd; the
 * same through our own CTAP2 backend talking CTAPHID to a software authenticator (@ssh/interop's
 * softFido); and OpenSSH's ssh logging in to our server with a security key. The authenticators
 * are software (no device here); the provider library reaches ssh-keygen, ssh and us alike.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SSH_KEYGEN,
  SSH_SK_HELPER,
  generateKey,
  knownHostsLines,
  makeTempDir,
  runSsh,
  runSshKeygen,
  softFido,
  startAsyncsshServer,
  startSshAgent,
  startSoftSkProvider,
  startSshd,
  type KeyPair,
  type SoftFido,
  type SoftSkProvider,
  type SshdServer,
} from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CtapBackend,
  SSHSkKeyPair,
  SecurityKeyError,
  connect,
  connectAgent,
  createSshsigAsync,
  generateSecurityKey,
  importPrivateKey,
  listen,
  loadResidentKeys,
  type SSHAcceptor,
  type SSHClientConnectionOptions,
  type SSHKey,
  type SSHServerProcess,
} from '../src/index.ts';

for (const tool of [SSH_KEYGEN, SSH_SK_HELPER]) {
  if (!existsSync(tool)) throw new Error(`${tool} is missing: install openssh-client (tooling/scripts/ensure-peers.sh)`);
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const publicLine = (key: SSHKey): string => new TextDecoder().decode(key.exportPublicKey('openssh')).trim();

let soft: SoftSkProvider;
let dir: string;
let home: string;
let sshd: SshdServer;
/** Keys ssh-keygen enrolled: [type, handle file]. */
const enrolled: Array<[string, string]> = [];
/** Keys we generated for sshd's authorized_keys. */
let ours: SSHKey[];
let base: () => SSHClientConnectionOptions;
/** A CTAP2 authenticator behind our internal backend, and the keys made on it. */
let fido: SoftFido;
let ctap: CtapBackend;
let ctapKeys: SSHKey[];

beforeAll(async () => {
  soft = await startSoftSkProvider();
  Object.assign(process.env, soft.env); // the library we load in this process reaches the authenticator through it
  dir = await makeTempDir('sk-client');
  home = path.join(dir, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true });
  for (const type of ['ed25519-sk', 'ecdsa-sk']) {
    const file = path.join(dir, `id_${type.replace('-', '_')}`);
    await runSshKeygen(['-t', type, '-w', soft.library, '-N', '', '-C', `keygen ${type}`, '-f', file], { env: soft.env });
    enrolled.push([type, file]);
  }
  const first = await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: soft.library, comment: 'ours ed25519' });
  // With a PIN set, the authenticator asks for it to enroll (as CTAP 2.0 devices do) and to list resident keys.
  soft.setPin('2468');
  ours = [
    first,
    await generateSecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', { provider: soft.library, application: 'ssh:work', resident: true, user: 'carol', pin: '2468' }),
  ];
  fido = softFido({ pin: '8642' });
  ctap = new CtapBackend({ devices: async () => [fido], timeoutMs: 10_000 });
  ctapKeys = [
    await generateSecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', { provider: ctap, pin: '8642' }),
    await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: ctap, pin: '8642', resident: true, user: 'erin', application: 'ssh:ctap' }),
    await generateSecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', { provider: ctap, pin: '8642', verifyRequired: true, application: 'ssh:uv' }),
  ];
  const keygenLines = await Promise.all(enrolled.map(async ([, file]) => (await readFile(`${file}.pub`, 'utf8')).trim()));
  await runSshKeygen(['-t', 'ed25519', '-N', '', '-C', 'user ca', '-f', path.join(dir, 'user_ca')]);
  sshd = await startSshd({ hostKeyTypes: ['ed25519'], config: [`TrustedUserCAKeys ${path.join(dir, 'user_ca.pub')}`], authorizedKeys: [...keygenLines, ...[...ours, ...ctapKeys.slice(0, 2)].map(publicLine), `verify-required ${publicLine(ctapKeys[2] as SSHKey)}`] });
  const knownHosts = text(`${knownHostsLines(sshd).join('\n')}\n`);
  base = () => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null, homeDirectory: home });
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await soft?.stop();
});

describe('security keys as client keys, against sshd', () => {
  it.each([0, 1])('logs in with the handle file ssh-keygen wrote for key %i, signing through securityKeyProvider', async (i) => {
    const [type, file] = enrolled[i] as [string, string];
    const before = soft.calls.filter((c) => c.op === 'sign').length;
    await using conn = await connect({ ...base(), clientKeys: [file], securityKeyProvider: soft.library });
    expect((await conn.run('echo touched', { check: true })).stdout).toBe('touched\n');
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    // The authenticator signed (once: the key was offered with a query first), for this key type.
    const signs = soft.calls.filter((c) => c.op === 'sign').slice(before);
    expect(signs).toHaveLength(1);
    expect(signs[0]?.alg).toBe(type.startsWith('ed25519') ? 1 : 0); // sk-api.h: SSH_SK_ED25519 1, SSH_SK_ECDSA 0
  });

  it('logs in with a security key certified by a user CA (its -cert.pub beside the handle file)', async () => {
    // A key sshd does not list: only the certificate can let it in.
    const file = path.join(dir, 'id_certified_sk');
    soft.setPin(undefined); // ssh-keygen would ask for it on a terminal
    try {
      await runSshKeygen(['-t', 'ecdsa-sk', '-w', soft.library, '-N', '', '-f', file], { env: soft.env });
    } finally {
      soft.setPin('2468');
    }
    await runSshKeygen(['-s', path.join(dir, 'user_ca'), '-I', 'sk-cert', '-n', sshd.user, `${file}.pub`]);
    await using conn = await connect({ ...base(), clientKeys: [file], securityKeyProvider: soft.library });
    expect((await conn.run('echo certified', { check: true })).stdout).toBe('certified\n');
    await expect(connect({ ...base(), clientKeys: [importPrivateKey(await readFile(file))], securityKeyProvider: soft.library, preferredAuth: 'publickey' })).rejects.toThrow(
      /Permission denied|auth/i,
    );
  });

  it('takes the provider from ssh_config SecurityKeyProvider', async () => {
    const [, file] = enrolled[0] as [string, string];
    const config = path.join(dir, 'sk_config');
    await writeFile(config, `Host *\n  SecurityKeyProvider ${soft.library}\n  IdentityFile ${file}\n`);
    await using conn = await connect({ ...base(), config: [config] });
    expect((await conn.run('echo configured', { check: true })).stdout).toBe('configured\n');
  });

  it('finds id_ed25519_sk in ~/.ssh by default, and the provider in SSH_SK_PROVIDER', async () => {
    const userHome = path.join(dir, 'default-home');
    await mkdir(path.join(userHome, '.ssh'), { recursive: true });
    const [, file] = enrolled[0] as [string, string];
    await writeFile(path.join(userHome, '.ssh', 'id_ed25519_sk'), await readFile(file), { mode: 0o600 });
    process.env['SSH_SK_PROVIDER'] = soft.library;
    try {
      await using conn = await connect({ ...base(), homeDirectory: userHome });
      expect((await conn.run('echo default', { check: true })).stdout).toBe('default\n');
    } finally {
      delete process.env['SSH_SK_PROVIDER'];
    }
  });

  it('logs in with keys generated on the authenticator, from memory and from their written files', async () => {
    await using conn = await connect({ ...base(), clientKeys: [ours[0] as SSHKey] });
    expect((await conn.run('echo generated', { check: true })).stdout).toBe('generated\n');
    const file = path.join(dir, 'ours_ecdsa_sk');
    await writeFile(file, (ours[1] as SSHKey).exportPrivateKey(), { mode: 0o600 });
    await using again = await connect({ ...base(), clientKeys: [file], securityKeyProvider: soft.library });
    expect((await again.run('echo from file', { check: true })).stdout).toBe('from file\n');
  });

  it('loads the resident keys of the authenticator with its PIN and logs in with them', async () => {
    await expect(loadResidentKeys(undefined, { provider: soft.library, application: 'ssh:work' })).rejects.toMatchObject({ kind: 'pin-required' });
    await expect(loadResidentKeys('1111', { provider: soft.library, application: 'ssh:work' })).rejects.toBeInstanceOf(SecurityKeyError);
    const pairs = await loadResidentKeys('2468', { provider: soft.library, application: 'ssh:work', user: 'carol' });
    expect(pairs).toHaveLength(1);
    const pair = pairs[0] as SSHSkKeyPair;
    expect(pair.key.equals(ours[1] as SSHKey)).toBe(true);
    await using conn = await connect({ ...base(), clientKeys: pairs });
    expect((await conn.run('echo resident', { check: true })).stdout).toBe('resident\n');
    expect(await loadResidentKeys('2468', { provider: soft.library, application: 'ssh:work', user: 'dave' })).toEqual([]);
  });

  it('fails authentication, not the process, when the authenticator refuses to sign', async () => {
    soft.setPresence(false);
    try {
      const [, file] = enrolled[0] as [string, string];
      await expect(connect({ ...base(), clientKeys: [file], securityKeyProvider: soft.library, preferredAuth: 'publickey' })).rejects.toThrow(/Permission denied|auth/i);
    } finally {
      soft.setPresence(true);
    }
  });
});

describe('security keys on a CTAP2 authenticator (the internal backend), against sshd', () => {
  it('logs in with keys generated on it, signing with CTAP2 GetAssertion', async () => {
    for (const key of ctapKeys.slice(0, 2)) {
      const before = fido.commands.filter((c) => c === 0x02).length;
      await using conn = await connect({ ...base(), clientKeys: [key], securityKeyProvider: ctap });
      expect((await conn.run('echo ctap', { check: true })).stdout).toBe('ctap\n');
      expect(fido.commands.filter((c) => c === 0x02).length).toBeGreaterThan(before);
    }
  });

  it('signs for a verify-required key with securityKeyPin, which sshd demands (authorized_keys verify-required)', async () => {
    const key = ctapKeys[2] as SSHKey;
    await using conn = await connect({ ...base(), clientKeys: [key], securityKeyProvider: ctap, securityKeyPin: '8642' });
    expect((await conn.run('echo verified', { check: true })).stdout).toBe('verified\n');
    // Without the PIN the authenticator cannot verify the user, so nothing is signed.
    await expect(connect({ ...base(), clientKeys: [key], securityKeyProvider: ctap, preferredAuth: 'publickey' })).rejects.toThrow(/Permission denied|auth/i);
  });

  it('asks securityKeyPrompts for the PIN when the authenticator wants it, after the touch notice', async () => {
    const key = ctapKeys[2] as SSHKey;
    const said: string[] = [];
    const securityKeyPrompts = {
      touch: (k: SSHKey) => void said.push(`touch ${k.getFingerprint()}`),
      pin: (k: SSHKey) => {
        said.push(`pin ${k.getFingerprint()}`);
        return '8642';
      },
    };
    await using conn = await connect({ ...base(), clientKeys: [key], securityKeyProvider: ctap, securityKeyPrompts, preferredAuth: 'publickey' });
    expect((await conn.run('echo prompted', { check: true })).stdout).toBe('prompted\n');
    const fp = key.getFingerprint();
    // Touch, PIN, touch again for the signature made with it: each signature is announced.
    expect(said).toEqual([`touch ${fp}`, `pin ${fp}`, `touch ${fp}`]);
  });

  it('loads its resident key with the PIN (credential management) and logs in with it', async () => {
    const pairs = await loadResidentKeys('8642', { provider: ctap, application: 'ssh:ctap' });
    expect(pairs.map((p) => p.key.equals(ctapKeys[1] as SSHKey))).toEqual([true]);
    await using conn = await connect({ ...base(), clientKeys: pairs });
    expect((await conn.run('echo resident ctap', { check: true })).stdout).toBe('resident ctap\n');
    await expect(loadResidentKeys('0000', { provider: ctap, application: 'ssh:ctap' })).rejects.toMatchObject({ kind: 'pin-invalid' });
  });
});

describe('security keys against an AsyncSSH server', () => {
  it('logs in with keys signing through either backend', async () => {
    const server = await startAsyncsshServer({ authorizedKeys: [publicLine(ours[0] as SSHKey), publicLine(ctapKeys[0] as SSHKey)] });
    try {
      const knownHosts = text(`${knownHostsLines(server).join('\n')}\n`);
      const options = { host: server.host, port: server.port, username: server.user, knownHosts, agentPath: null, config: null, homeDirectory: home };
      for (const [key, provider] of [
        [ours[0] as SSHKey, soft.library],
        [ctapKeys[0] as SSHKey, ctap],
      ] as const) {
        await using conn = await connect({ ...options, clientKeys: [key], securityKeyProvider: provider });
        expect((await conn.run('echo asyncssh', { check: true })).stdout).toBe('asyncssh\n');
      }
    } finally {
      await server.stop();
    }
  });
});

describe('OpenSSH ssh with a security key, against our server', () => {
  let acceptor: SSHAcceptor;
  let hostKey: KeyPair;

  beforeAll(async () => {
    hostKey = await generateKey('ed25519', { label: 'sk-our-host' });
    const lines = await Promise.all(enrolled.map(async ([, file]) => readFile(`${file}.pub`, 'utf8')));
    acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      authorizedClientKeys: lines.join(''),
      processFactory: (process: SSHServerProcess) => {
        process.stdout.write(`hello ${process.command ?? ''}\n`);
        process.exit(0);
      },
    });
  });

  afterAll(() => acceptor?.close());

  it.each([0, 1])('accepts key %i signed through the provider inside ssh-sk-helper', async (i) => {
    const [, file] = enrolled[i] as [string, string];
    const target = { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] };
    const r = await runSsh(target, 'sk', {
      env: soft.env,
      args: ['-o', `SecurityKeyProvider=${soft.library}`, '-o', 'IdentitiesOnly=yes', '-i', file],
    });
    expect(r.stdout).toBe('hello sk\n');
  });
});

describe('security keys in OpenSSH ssh-agent', () => {
  it('a key added with its provider (ssh-add -S) signs through the agent for our client', async () => {
    // ssh-agent loads only provider libraries its -P allows; ssh-sk-helper, which it starts, reaches the authenticator.
    const agent = await startSshAgent({ args: ['-P', `${path.dirname(soft.library)}/*`], env: soft.env });
    try {
      const client = await connectAgent(agent.socketPath);
      try {
        const [, file] = enrolled[1] as [string, string];
        const key = importPrivateKey(await readFile(file));
        await client.addKeys([key], { skProvider: soft.library });
        const listed = await client.getKeys();
        expect(listed.map((k) => k.key?.equals(key))).toEqual([true]);
      } finally {
        client.close();
      }
      const before = soft.calls.filter((c) => c.op === 'sign').length;
      await using conn = await connect({ ...base(), agentPath: agent.socketPath });
      expect((await conn.run('echo from the agent', { check: true })).stdout).toBe('from the agent\n');
      expect(soft.calls.filter((c) => c.op === 'sign').length).toBe(before + 1);
    } finally {
      await agent.stop();
    }
  });
});

describe('SSHSIG', () => {
  it('signed through the authenticator, ssh-keygen -Y verify accepts it', async () => {
    const [, file] = enrolled[1] as [string, string];
    const pair = new SSHSkKeyPair(importPrivateKey(await readFile(file)), undefined, { provider: soft.library });
    const sig = path.join(dir, 'commit.sig');
    await writeFile(sig, await createSshsigAsync(pair, 'tree 1234\n', 'git'));
    const signers = path.join(dir, 'allowed_signers');
    await writeFile(signers, `dev@example.com ${publicLine(pair.key)}\n`);
    const r = await runSshKeygen(['-Y', 'verify', '-f', signers, '-I', 'dev@example.com', '-n', 'git', '-s', sig], { input: 'tree 1234\n' });
    expect(r.stdout).toMatch(/Good "git" signature for dev@example.com with ECDSA-SK key/);
  });
});

describe('handle files', () => {
  it('keep only the handle: the key from the file is the key, and it signs only through the authenticator', async () => {
    const [, file] = enrolled[0] as [string, string];
    const key = importPrivateKey(await readFile(file));
    expect(() => key.sign(text('data'))).toThrow(/authenticator/);
    const pair = new SSHSkKeyPair(key, undefined, { provider: soft.library });
    expect(key.verify(text('data'), await pair.sign(text('data')))).toBe(true);
  });
});
