/**
 * MiddlewareBackend and OpenSSH on one authenticator: @ssh/interop's soft provider library, which
 * ssh-keygen loads inside ssh-sk-helper and we load through the native binding, both reaching the
 * same software authenticator. ssh-keygen enrolls resident keys that we sign with (ssh-keygen -Y
 * check-novalidate verifies the SSHSIG we make), and downloads with -K the resident keys we
 * enrolled (the same public keys and handles, then signing through ssh-keygen -Y sign).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SSH_KEYGEN, SSH_SK_HELPER, makeTempDir, runSshKeygen, startSoftSkProvider, type SoftSkProvider } from '@ssh/interop';
import { Reader, Writer } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPrivateKey, importPublicKey, validateSshsig, type SSHKey } from '../../src/index.ts';
import { SK_FLAG_RESIDENT_KEY, SK_FLAG_USER_PRESENCE_REQD, type SkKeyAlgorithm } from '../../src/node/security-key/backend.ts';
import { MiddlewareBackend } from '../../src/node/security-key/middleware.ts';
import { sha256, sshKey, sshSignature, text, u2fVerifies } from './middleware-helpers.ts';

for (const tool of [SSH_KEYGEN, SSH_SK_HELPER]) {
  if (!existsSync(tool)) throw new Error(`${tool} is missing: install openssh-client (tooling/scripts/ensure-peers.sh)`);
}

const UP = SK_FLAG_USER_PRESENCE_REQD;
const RESIDENT = SK_FLAG_RESIDENT_KEY;

let soft: SoftSkProvider;
let backend: MiddlewareBackend;

beforeAll(async () => {
  soft = await startSoftSkProvider();
  Object.assign(process.env, soft.env); // for our in-process calls; ssh-keygen gets soft.env
  backend = new MiddlewareBackend(soft.library);
});

afterAll(async () => {
  await soft.stop();
});

/** What an sk private key file holds after its public part (PROTOCOL.u2f): application, flags, key handle. */
function handleOf(key: SSHKey, alg: SkKeyAlgorithm): { publicKey: Uint8Array; application: string; flags: number; keyHandle: Uint8Array } {
  const r = new Reader(key.encodePrivateFields());
  if (alg === 'ecdsa') expect(r.utf8('curve')).toBe('nistp256');
  const publicKey = r.bytes('public key');
  const application = r.utf8('application');
  const flags = r.u8('flags');
  const keyHandle = r.bytes('key handle');
  r.bytes('reserved');
  r.end();
  return { publicKey, application, flags, keyHandle };
}

/** An armored SSHSIG (PROTOCOL.sshsig) over `message` in `namespace`, signed through the backend. */
async function sshsigThroughBackend(alg: SkKeyAlgorithm, key: ReturnType<typeof handleOf>, message: Uint8Array, namespace: string): Promise<string> {
  const hash = createHash('sha512').update(message).digest();
  const signed = new Writer(256).raw(text('SSHSIG')).utf8(namespace).bytes(new Uint8Array(0)).utf8('sha512').bytes(hash).finish();
  const sig = await backend.sign({ alg, application: key.application, keyHandle: key.keyHandle, message: signed, flags: key.flags });
  expect(u2fVerifies(alg, key.publicKey, key.application, signed, sig)).toBe(true);
  const publicBlob = sshKey(alg, key.publicKey, key.application).publicData;
  const blob = new Writer(512).raw(text('SSHSIG')).u32(1).bytes(publicBlob).utf8(namespace).bytes(new Uint8Array(0)).utf8('sha512').bytes(sshSignature(alg, sig)).finish();
  const b64 = Buffer.from(blob).toString('base64').replace(/.{70}/g, '$&\n');
  return `-----BEGIN SSH SIGNATURE-----\n${b64.trimEnd()}\n-----END SSH SIGNATURE-----\n`;
}

describe.each([
  ['ed25519-sk', 'ed25519'],
  ['ecdsa-sk', 'ecdsa'],
] as const)('%s', (type, alg) => {
  it('ssh-keygen enrolls a resident key; we sign with its handle, and ssh-keygen -Y check-novalidate verifies', async () => {
    const dir = await makeTempDir('sk-keygen');
    const file = join(dir, 'id');
    const application = `ssh:keygen-${alg}`;
    await runSshKeygen(['-t', type, '-w', soft.library, '-O', 'resident', '-O', `application=${application}`, '-O', `user=kg-${alg}`, '-N', '', '-C', 'kg', '-f', file], {
      env: soft.env,
    });
    const key = importPrivateKey(await readFile(file));
    expect(key.algorithm).toBe(alg === 'ecdsa' ? 'sk-ecdsa-sha2-nistp256@openssh.com' : 'sk-ssh-ed25519@openssh.com');
    const parts = handleOf(key, alg);
    expect([parts.application, parts.flags]).toEqual([application, UP | RESIDENT]);
    expect(importPublicKey(await readFile(`${file}.pub`)).equals(key)).toBe(true);
    const held = soft.credentials.find((k) => Buffer.from(k.keyHandle).equals(Buffer.from(parts.keyHandle)));
    expect(held).toMatchObject({ alg, application, resident: true });
    expect(Buffer.from(held?.userId ?? []).toString('latin1')).toBe(`kg-${alg}`.padEnd(32, '\0')); // the "user" option, zero-padded

    const message = text('a file ssh-keygen checks\n');
    const sigFile = join(dir, 'message.sig');
    await writeFile(sigFile, await sshsigThroughBackend(alg, parts, message, 'test'));
    const good = await runSshKeygen(['-Y', 'check-novalidate', '-n', 'test', '-s', sigFile], { input: message });
    expect(good.stdout).toMatch(/Good "test" signature with (ECDSA-SK|ED25519-SK) key SHA256:/);
    expect(validateSshsig(await readFile(sigFile, 'utf8'), message, 'test').publicKey.equals(key)).toBe(true);
    const bad = await runSshKeygen(['-Y', 'check-novalidate', '-n', 'test', '-s', sigFile], { input: text('another file\n'), allowFailure: true });
    expect(bad.exitCode).not.toBe(0);
  });

  it('ssh-keygen -K downloads the resident key we enrolled (with a PIN), and signs with it', async () => {
    const application = `ssh:ours-${alg}`;
    const userId = new Uint8Array(32);
    userId.set(text(`ours-${alg}`));
    soft.setPin('1357');
    const dir = await makeTempDir('sk-download');
    try {
      const ours = await backend.enroll({ alg, application, challenge: sha256('challenge'), userId, flags: UP | RESIDENT, pin: '1357' });
      // ssh-keygen -K always asks for the PIN: through SSH_ASKPASS, stdin being no terminal.
      const askpass = join(dir, 'askpass.sh');
      await writeFile(askpass, '#!/bin/sh\necho 1357\n', { mode: 0o700 });
      await runSshKeygen(['-K', '-w', soft.library, '-N', ''], { cwd: dir, env: { ...soft.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' } });
      expect(soft.calls.at(-1)).toMatchObject({ op: 'load', pin: '1357', status: 0 });
      const expected = sshKey(alg, ours.publicKey, application);
      const files = (await readdir(dir)).filter((f) => f.startsWith(`id_${alg}_sk_rk`) && !f.endsWith('.pub'));
      const downloaded = await Promise.all(files.map(async (f) => ({ f, key: importPrivateKey(await readFile(join(dir, f))) })));
      const mine = downloaded.find((d) => d.key.equals(expected));
      if (mine === undefined) throw new Error(`ssh-keygen -K did not download ${application} (files: ${files.join(', ')})`);
      expect(mine.f).toBe(`id_${alg}_sk_rk_ours-${alg}_ours-${alg}`); // named after the application and the user id
      const parts = handleOf(mine.key, alg);
      expect(Buffer.from(parts.keyHandle).equals(Buffer.from(ours.keyHandle))).toBe(true);
      expect(parts.flags).toBe(UP | RESIDENT);

      // OpenSSH signs with it through the same provider (no PIN: the key needs only a touch).
      const messageFile = join(dir, 'message');
      await writeFile(messageFile, 'signed by ssh-keygen\n');
      await runSshKeygen(['-Y', 'sign', '-w', soft.library, '-f', join(dir, mine.f), '-n', 'file', messageFile], { env: soft.env });
      const sig = validateSshsig(await readFile(`${messageFile}.sig`, 'utf8'), await readFile(messageFile), 'file');
      expect(sig.publicKey.equals(expected)).toBe(true);
    } finally {
      soft.setPin(undefined);
    }
  });
});
